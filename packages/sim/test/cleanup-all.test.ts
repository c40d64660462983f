// Issue 16 item 4: global requests over the simulator's REST API with ScyllaDB's paths.
// `POST /storage_service/cleanup_all/?global=true` runs a global `cleanup` through the Raft
// topology coordinator, whose node agents do the simulator's per-node cleanup; `global=false`
// cleans the asked node only; `POST /raft/read_barrier`. Over real HTTP on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { RaftSimTopology, SimCluster, type SimClusterOptions } from '../src/index.js';
import { SEED } from './helpers.js';

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(options: SimClusterOptions = {}): Promise<SimCluster> {
  cluster = new SimCluster({ seed: SEED, nodesPerZone: 1, timing: { bootstrapMs: 300, cleanupMs: 200 }, ...options });
  await cluster.start();
  return cluster;
}

/** POSTs `path` to `nodeId`'s REST server over HTTP. */
async function post(c: SimCluster, nodeId: string, path: string): Promise<{ status: number; body: string }> {
  const api = c.inventory().nodes.find((n) => n.id === nodeId)!.connection['scylla_api'] as { host: string; port: number };
  const r = await fetch(`http://${api.host}:${api.port}${path}`, { method: 'POST' });
  return { status: r.status, body: await r.text() };
}

/** Nodes with a `cleanup` oplog entry at or after `since` (simulated ms), sorted. */
function cleanedSince(c: SimCluster, since: number): string[] {
  return [...new Set(c.oplog.entries({ actions: ['cleanup'] }).filter((e) => e.atMs >= since).map((e) => e.node))].sort();
}

describe(`cleanup_all and read_barrier over HTTP (SEED=${SEED})`, () => {
  it('after a join the old nodes need cleanup; cleanup_all?global=true cleans exactly them through the coordinator, and answers 0', async () => {
    const c = await start();
    const topo = c.topology as RaftSimTopology;
    expect(topo).toBeInstanceOf(RaftSimTopology);
    const old = c.nodes.map((n) => n.id).sort();
    const joiner = await c.bootstrapNode({ dc: 'dc1', rack: 'rack1' });
    const status = (id: string) => topo.current.nodes[id]!.cleanup;
    expect(old.map(status)).toEqual(old.map(() => 'needed'));
    expect(status(joiner.id)).toBe('clean');

    const t0 = c.clock.now();
    const r = await post(c, joiner.id, '/storage_service/cleanup_all/?global=true');
    expect(r).toEqual({ status: 200, body: '0' });
    // the agents did the sim's keyspace cleanup, on the old nodes only, each taking cleanupMs
    expect(cleanedSince(c, t0)).toEqual(old);
    expect(c.clock.now() - t0).toBeGreaterThanOrEqual(c.timing.cleanupMs);
    expect([...old, joiner.id].map(status)).toEqual([...old, joiner.id].map(() => 'clean'));
    const g = Object.values(topo.current.globalRequests).find((q) => q.kind === 'cleanup')!;
    expect(g).toMatchObject({ status: 'done', nodes: old });

    // a second global cleanup has nothing to clean
    const t1 = c.clock.now();
    expect(await post(c, old[0]!, '/storage_service/cleanup_all/')).toEqual({ status: 200, body: '0' });
    expect(cleanedSince(c, t1)).toEqual([]);
  });

  it('a dead node that needs cleanup fails the global cleanup with the coordinator’s reason; nothing is cleaned and the nodes stay needed', async () => {
    const c = await start();
    const topo = c.topology as RaftSimTopology;
    const old = c.nodes.map((n) => n.id).sort();
    const joiner = await c.bootstrapNode({ dc: 'dc1', rack: 'rack1' });
    const dead = old.find((id) => id !== topo.leaderId)!;
    c.kill(dead);
    const t0 = c.clock.now();
    const r = await post(c, joiner.id, '/storage_service/cleanup_all/?global=true');
    expect(r.status).toBe(500);
    expect(r.body).toContain(`cleanup needs node(s) ${dead}, which the failure detector reports down`);
    expect(cleanedSince(c, t0)).toEqual([]);
    for (const id of old) expect(topo.current.nodes[id]!.cleanup).toBe('needed');
  });

  it('a node that dies during its cleanup fails the global cleanup (its agent answered only after the sim cleanup); it stays needed, the others are clean', async () => {
    const c = await start({ timing: { bootstrapMs: 300, cleanupMs: 1000 } });
    const topo = c.topology as RaftSimTopology;
    const old = c.nodes.map((n) => n.id).sort();
    const joiner = await c.bootstrapNode({ dc: 'dc1', rack: 'rack1' });
    const victim = old.find((id) => id !== topo.leaderId)!;
    const off = c.oplog.subscribe((e) => {
      if (e.action === 'cleanup' && e.node === victim) setTimeout(() => c.kill(victim), 50);
    });
    const r = await post(c, joiner.id, '/storage_service/cleanup_all/?global=true');
    off();
    expect(r.status).toBe(500);
    expect(r.body).toContain('cleanup failed on 1 node(s)');
    expect(r.body).toContain(victim);
    expect(topo.current.nodes[victim]!.cleanup).toBe('needed');
    for (const id of old.filter((x) => x !== victim)) expect(topo.current.nodes[id]!.cleanup).toBe('clean');
  });

  it('cleanup_all?global=false cleans the asked node only and marks it clean; mark_node_as_clean only marks; a bad global is a 400', async () => {
    const c = await start();
    const old = c.nodes.map((n) => n.id).sort();
    await c.bootstrapNode({ dc: 'dc1', rack: 'rack1' });
    const t0 = c.clock.now();
    expect(await post(c, old[1]!, '/storage_service/cleanup_all/?global=false')).toEqual({ status: 200, body: '0' });
    expect(cleanedSince(c, t0)).toEqual([old[1]]);
    // ScyllaDB's local cleanup marks the node clean in the topology; mark_node_as_clean only marks
    const topo = c.topology as RaftSimTopology;
    expect(old.map((id) => topo.current.nodes[id]!.cleanup)).toEqual(['needed', 'clean', 'needed']);
    const t1 = c.clock.now();
    expect(await post(c, old[2]!, '/storage_service/mark_node_as_clean')).toEqual({ status: 200, body: '' });
    expect(cleanedSince(c, t1)).toEqual([]);
    expect(old.map((id) => topo.current.nodes[id]!.cleanup)).toEqual(['needed', 'clean', 'clean']);
    // the global cleanup now cleans only the node still marked needed
    const t2 = c.clock.now();
    expect(await post(c, old[1]!, '/storage_service/cleanup_all/')).toEqual({ status: 200, body: '0' });
    expect(cleanedSince(c, t2)).toEqual([old[0]]);
    const bad = await post(c, old[1]!, '/storage_service/cleanup_all/?global=yes');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('global');
  });

  it('with the memory topology, global=true cleans every running normal node directly', async () => {
    const c = await start({ topology: 'memory' });
    const all = c.nodes.map((n) => n.id).sort();
    const t0 = c.clock.now();
    expect(await post(c, all[0]!, '/storage_service/cleanup_all/?global=true')).toEqual({ status: 200, body: '0' });
    expect(cleanedSince(c, t0)).toEqual(all);
  });

  it('POST /raft/read_barrier answers "" on a member (with or without group_id and timeout)', async () => {
    const c = await start();
    const id = c.nodes[0]!.id;
    expect(await post(c, id, '/raft/read_barrier')).toEqual({ status: 200, body: '""' });
    expect(await post(c, id, '/raft/read_barrier?timeout=5')).toEqual({ status: 200, body: '""' });
    expect((await post(c, id, '/raft/read_barrier?timeout=soon')).status).toBe(400);
  });
});
