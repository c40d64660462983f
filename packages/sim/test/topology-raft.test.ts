import type { VirtualClock } from '@scylla-cp/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftSimTopology, SimCluster, TokenRingTopology, type SimNode } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function raftCluster(options: Parameters<typeof virtualCluster>[0] = {}) {
  const r = virtualCluster(options);
  const topo = r.cluster.topology;
  if (!(topo instanceof RaftSimTopology)) throw new Error('expected a RaftSimTopology');
  return { ...r, topo };
}

/**
 * Polls a REST view every 100 ms of simulated time (the topology group's steps take none, its
 * streaming takes the operation's timing) until `done()`; returns every distinct reply.
 */
async function pollView(clock: VirtualClock, cluster: SimCluster, node: string, url: string, done: () => boolean): Promise<string[]> {
  const seen: string[] = [];
  while (!done()) {
    const v = JSON.stringify(await getJson(cluster, node, url));
    if (seen[seen.length - 1] !== v) seen.push(v);
    await clock.advance(100);
  }
  seen.push(JSON.stringify(await getJson(cluster, node, url)));
  return seen;
}

describe(`Raft topology in the simulated cluster (SEED=${SEED})`, () => {
  it("is the default; { topology: 'memory' } keeps the in-memory token ring", () => {
    const { cluster } = virtualCluster({ topology: 'memory' });
    expect(cluster.topology).toBeInstanceOf(TokenRingTopology);
    const { cluster: raft, topo } = raftCluster();
    expect(raft.topology).toBe(topo);
    // five voters by default, one per rack in turn; the sixth node is a non-voting replica
    const voters = raft.nodes.filter((n) => topo.group.node(n.id).coordinator !== undefined).map((n) => n.id);
    expect(voters).toEqual(['dc1-rack1-n1', 'dc1-rack1-n2', 'dc1-rack2-n1', 'dc1-rack2-n2', 'dc1-rack3-n1']);
    expect(topo.group.ids).toHaveLength(6);
    // the founding nodes are normal members of the Raft topology with the sim's tokens
    expect(Object.values(topo.current.nodes).map((n) => n.state)).toEqual(new Array(6).fill('normal'));
    for (const n of raft.nodes) expect(topo.tokensOf(n.id)).toHaveLength(16);
    expect(topo.ring()).toHaveLength(96);
  });

  it('decommission via REST goes through a leave request: leaving while the saga runs, then left, version raised', async () => {
    const { clock, cluster, topo } = raftCluster();
    const [a, b] = cluster.nodes;
    const ringBefore = (await getJson(cluster, b!.id, '/storage_service/tokens')) as string[];
    const v0 = topo.current.version;
    const done = cluster.request(a!.id, 'POST', '/storage_service/decommission');
    let finished = false;
    void done.then(() => (finished = true));
    const views = await pollView(clock, cluster, b!.id, '/storage_service/nodes/leaving', () => finished);
    expect((await clock.run(done)).status).toBe(200);
    expect(views).toContain(JSON.stringify([a!.address]));
    expect(views[views.length - 1]).toBe('[]');
    // the Raft state went decommissioning -> left with a global transition and fence bumps
    const states = topo.history.map((h) => h.nodeStates[a!.id]);
    expect(states).toContain('decommissioning');
    expect(states[states.length - 1]).toBe('left');
    expect(topo.history.some((h) => h.tstate === 'write_both_read_old')).toBe(true);
    expect(topo.history.some((h) => h.tstate === 'left_token_ring')).toBe(true);
    expect(topo.current.version).toBeGreaterThan(v0);
    expect(topo.current.fenceVersion).toBeLessThanOrEqual(topo.current.version);
    expect(topo.current.tstate).toBeNull();
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['leave', a!.id, 'done']]);
    // REST views after
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('DECOMMISSIONED');
    const ids = (await getJson(cluster, b!.id, '/storage_service/host_id')) as { key: string }[];
    expect(ids.map((e) => e.key)).not.toContain(a!.address);
    expect(ids).toHaveLength(5);
    expect(((await getJson(cluster, b!.id, '/storage_service/tokens')) as string[]).length).toBe(ringBefore.length - 16);
    const ring = (await getJson(cluster, b!.id, '/storage_service/describe_ring/ks1')) as { endpoints: string[] }[];
    expect(ring.every((r) => r.endpoints.length === 3 && !r.endpoints.includes(a!.address))).toBe(true);
  });

  it('removenode via REST goes through a remove request (refused for a live node)', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { failureDetectionDelayMs: 1000 } });
    const [a, b] = cluster.nodes;
    const alive = await cluster.request(a!.id, 'POST', `/storage_service/remove_node?host_id=${b!.hostId}`);
    expect(alive.status).toBe(500);
    cluster.kill(b!.id);
    await clock.advance(1000);
    const v0 = topo.current.version;
    const done = cluster.request(a!.id, 'POST', `/storage_service/remove_node?host_id=${b!.hostId}`);
    let finished = false;
    void done.then(() => (finished = true));
    const views = await pollView(clock, cluster, a!.id, '/storage_service/nodes/leaving', () => finished);
    const r = await clock.run(done);
    expect(r.status, r.body).toBe(200);
    expect(views).toContain(JSON.stringify([b!.address]));
    expect(topo.history.map((h) => h.nodeStates[b!.id])).toContain('removing');
    expect(topo.state(b!.id)).toBe('left');
    expect(topo.current.version).toBeGreaterThan(v0);
    expect(Object.values(topo.current.requests).map((q) => [q.kind, q.nodeId, q.status])).toEqual([['remove', b!.id, 'done']]);
    expect(((await getJson(cluster, a!.id, '/storage_service/host_id')) as { value: string }[]).map((e) => e.value)).not.toContain(b!.hostId);
    expect(topo.tokensOf(b!.id)).toEqual([]);
    expect(topo.ring()).toHaveLength(80);
  });

  it('bootstraps a new node: joining while the saga runs, then a normal member owning new tokens', async () => {
    const { clock, cluster, topo } = raftCluster();
    const ringBefore = topo.ring().length;
    const p = cluster.bootstrapNode({ dc: 'dc1', rack: 'rack2' });
    let finished = false;
    void p.then(() => (finished = true));
    const viewer = cluster.nodes[0]!.id;
    const t0 = clock.now();
    const views = await pollView(clock, cluster, viewer, '/storage_service/nodes/joining', () => finished);
    const node = await p;
    // the joiner streams for bootstrapMs of simulated time
    expect(clock.now() - t0).toBeGreaterThanOrEqual(cluster.timing.bootstrapMs);
    expect(clock.now() - t0).toBeLessThan(cluster.timing.bootstrapMs + 200);
    expect(node.id).toBe('dc1-rack2-n3');
    expect(views).toContain(JSON.stringify([node.address]));
    expect(views[views.length - 1]).toBe('[]');
    expect(topo.history.map((h) => h.nodeStates[node.id])).toContain('bootstrapping');
    expect(topo.state(node.id)).toBe('normal');
    expect(node.mode).toBe('NORMAL');
    expect(topo.tokensOf(node.id)).toHaveLength(16);
    expect(topo.ring()).toHaveLength(ringBefore + 16);
    const ids = (await getJson(cluster, viewer, '/storage_service/host_id')) as { key: string; value: string }[];
    expect(ids).toContainEqual({ key: node.address, value: node.hostId });
    expect(((await getJson(cluster, viewer, `/storage_service/tokens/${node.address}`)) as string[]).length).toBe(16);
  });

  it('two joins requested at once both complete, one after the other', async () => {
    const { clock, cluster, topo } = raftCluster();
    const t0 = clock.now();
    const ended: number[] = [];
    const joined = (p: Promise<SimNode>) => p.then((n) => (ended.push(clock.now() - t0), n));
    const [x, y] = await clock.run(Promise.all([joined(cluster.bootstrapNode({ dc: 'dc1', rack: 'rack1' })), joined(cluster.bootstrapNode({ dc: 'dc1', rack: 'rack3' }))]));
    // each call returns when its own join ends: the first after one bootstrap, the second after two
    expect(ended).toEqual([cluster.timing.bootstrapMs, 2 * cluster.timing.bootstrapMs]);
    expect([x.mode, y.mode]).toEqual(['NORMAL', 'NORMAL']);
    expect([topo.state(x.id), topo.state(y.id)]).toEqual(['normal', 'normal']);
    // never both in transition at once: one join's saga ends before the other's starts
    const both = topo.history.filter((h) => h.nodeStates[x.id] === 'bootstrapping' && h.nodeStates[y.id] === 'bootstrapping');
    expect(both).toEqual([]);
    const firstX = topo.history.findIndex((h) => h.nodeStates[x.id] === 'bootstrapping');
    const firstY = topo.history.findIndex((h) => h.nodeStates[y.id] === 'bootstrapping');
    const [first, second] = firstX < firstY ? [x, y] : [y, x];
    const secondStarts = Math.max(firstX, firstY);
    expect(topo.history[secondStarts - 1]!.nodeStates[first.id]).toBe('normal');
    expect(topo.history.slice(secondStarts).every((h) => h.nodeStates[first.id] === 'normal')).toBe(true);
    expect(topo.ring()).toHaveLength(96 + 32);
    expect(second.id).not.toBe(first.id);
  });

  it('a joiner killed mid-bootstrap (while streaming) is rolled back automatically and ends left', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { bootstrapMs: 4000 } });
    const viewer = cluster.nodes[0]!.id;
    const t0 = clock.now();
    const p = cluster.bootstrapNode({ dc: 'dc1', rack: 'rack1' });
    p.catch(() => undefined);
    const joiner = cluster.nodes[cluster.nodes.length - 1]!;
    await clock.advance(2000);
    expect(await getJson(cluster, viewer, '/storage_service/nodes/joining')).toEqual([joiner.address]);
    expect(topo.current.nodes[joiner.id]?.state).toBe('bootstrapping');
    expect(topo.current.tstate).toBe('write_both_read_old');
    cluster.kill(joiner.id);
    await expect(clock.run(p)).rejects.toThrow(/bootstrap of .* failed in the Raft topology: Rolled back: streaming failed/);
    // the rollback takes no simulated time: the join ended when its node died
    expect(clock.now() - t0).toBe(2000);
    expect(await getJson(cluster, viewer, '/storage_service/nodes/joining')).toEqual([]);
    expect(topo.state(joiner.id)).toBe('left');
    expect(joiner.left).toBe(true);
    const req = Object.values(topo.current.requests).find((r) => r.nodeId === joiner.id)!;
    expect(req.status).toBe('failed');
    expect(req.reason).toMatch(/^Rolled back:/);
    expect(topo.ring()).toHaveLength(96);
    const ids = (await getJson(cluster, viewer, '/storage_service/host_id')) as { key: string }[];
    expect(ids.map((e) => e.key)).not.toContain(joiner.address);
    expect(cluster.oplog.entries({ node: joiner.id, actions: ['bootstrap', 'bootstrap-failed'] }).map((e) => e.action)).toEqual(['bootstrap', 'bootstrap-failed']);
  });

  it('replaces a dead node: the new node takes over its tokens and the dead one is left', async () => {
    const { clock, cluster, topo } = raftCluster();
    const dead = cluster.nodes[1]!;
    const tokens = [...topo.tokensOf(dead.id)];
    await expect(cluster.replaceNode(dead.id)).rejects.toThrow(/is alive/);
    cluster.kill(dead.id);
    const node = await clock.run(cluster.replaceNode(dead.id));
    expect(node.dc).toBe(dead.dc);
    expect(node.rack).toBe(dead.rack);
    expect(topo.history.map((h) => h.nodeStates[node.id])).toContain('replacing');
    expect(topo.state(node.id)).toBe('normal');
    expect(topo.state(dead.id)).toBe('left');
    expect(dead.left).toBe(true);
    expect([...topo.tokensOf(node.id)]).toEqual(tokens);
    expect(topo.ring()).toHaveLength(96);
    const ids = (await getJson(cluster, cluster.nodes[0]!.id, '/storage_service/host_id')) as { key: string; value: string }[];
    expect(ids.map((e) => e.value)).toContain(node.hostId);
    expect(ids.map((e) => e.value)).not.toContain(dead.hostId);
  });

  it("bootstrap, replace and rebuild need the Raft topology (not { topology: 'memory' })", async () => {
    const { cluster } = virtualCluster({ topology: 'memory' });
    await expect(cluster.bootstrapNode({ dc: 'dc1', rack: 'rack1' })).rejects.toThrow(/needs the Raft topology .*topology: 'memory'/);
    await expect(cluster.replaceNode(cluster.nodes[0]!.id)).rejects.toThrow(/needs the Raft topology/);
    const r = await cluster.request(cluster.nodes[0]!.id, 'POST', '/storage_service/rebuild');
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body).message).toMatch(/'memory' topology does not support rebuild/);
  });
});

describe('control endpoints for Raft topology (HTTP mode on 127.0.0.1)', () => {
  let http: SimCluster | undefined;
  afterEach(async () => {
    await http?.stop();
    http = undefined;
  });

  it('POST /_sim/bootstrap adds a node through a join; POST /_sim/replace replaces a dead one', async () => {
    http = new SimCluster({ seed: SEED, timeScale: 0.05, nodesPerZone: 1 });
    await http.start();
    const first = http.nodes[0]!;
    const control = `http://127.0.0.1:${http.ports(first.id).control}`;
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${control}${path}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    const added = await post('/_sim/bootstrap', { dc: 'dc1', rack: 'rack2' });
    expect(added.status, JSON.stringify(added.json)).toBe(200);
    const ports = added.json['ports'] as { api: number };
    const mode = await fetch(`http://127.0.0.1:${ports.api}/storage_service/operation_mode`);
    expect(await mode.json()).toBe('NORMAL');
    const ids = (await (await fetch(`http://127.0.0.1:${http.ports(first.id).api}/storage_service/host_id`)).json()) as { key: string; value: string }[];
    expect(ids).toContainEqual({ key: added.json['address'], value: added.json['hostId'] });
    expect(ids).toHaveLength(4);

    const victim = http.nodes[2]!;
    expect((await post('/_sim/replace', { node: victim.id })).status).toBe(500); // alive
    expect((await post('/_sim/kill', { node: victim.id })).status).toBe(200);
    const replaced = await post('/_sim/replace', { node: victim.id });
    expect(replaced.status, JSON.stringify(replaced.json)).toBe(200);
    expect(replaced.json['replaced']).toBe(victim.id);
    const topo = http.topology as RaftSimTopology;
    expect(topo.state(victim.id)).toBe('left');
    expect(topo.state(replaced.json['node'] as string)).toBe('normal');
    expect((await post('/_sim/bootstrap', { dc: 'nope' })).status).toBe(500);
  });
});
