import { describe, expect, it } from 'vitest';
import { RaftSimTopology, SimShell } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function raftCluster(options: Parameters<typeof virtualCluster>[0] = {}) {
  const r = virtualCluster(options);
  const topo = r.cluster.topology;
  if (!(topo instanceof RaftSimTopology)) throw new Error('expected the default Raft topology');
  return { ...r, topo };
}

const requests = (topo: RaftSimTopology) => Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status]);

describe(`Raft topology streaming on the simulation's clock (SEED=${SEED})`, () => {
  it('decommission takes decommissionMs of simulated time: leaving until then, left right after', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { decommissionMs: 5000 } });
    const [a, b] = cluster.nodes;
    const t0 = clock.now();
    const done = cluster.request(a!.id, 'POST', '/storage_service/decommission');
    await clock.advance(4990);
    expect(await getJson(cluster, b!.id, '/storage_service/nodes/leaving')).toEqual([a!.address]);
    expect(topo.current.nodes[a!.id]?.state).toBe('decommissioning');
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('LEAVING');
    expect((await clock.run(done)).status).toBe(200);
    expect(clock.now() - t0).toBe(5000);
    expect(topo.state(a!.id)).toBe('left');
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('DECOMMISSIONED');
  });

  it("a long stream completes, and the group's clock pauses while only the stream runs", async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { decommissionMs: 600_000 } });
    const a = cluster.nodes[2]!;
    const t0 = clock.now();
    expect((await clock.run(cluster.request(a.id, 'POST', '/storage_service/decommission'))).status).toBe(200);
    expect(clock.now() - t0).toBe(600_000);
    expect(requests(topo)).toEqual([['leave', a.id, 'done']]);
    // the group paused while only the stream ran: far fewer Raft timers than 600 s of 10 ms ticks on 6 nodes (360,000)
    expect(topo.group.clock.fired).toBeLessThan(10_000);
  });

  it('a node killed mid-decommission by a die-during fault: the REST call is reset, the node rolls back to normal', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { decommissionMs: 4000 } });
    const [a, b] = cluster.nodes;
    const ringBefore = topo.ring().length;
    cluster.faults.inject({ kind: 'die-during', node: a!.id, operation: 'decommission', afterMs: 1500 });
    const t0 = clock.now();
    await expect(clock.run(cluster.request(a!.id, 'POST', '/storage_service/decommission'))).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: expect.stringMatching(/died during decommission; the Raft topology coordinator ended it: Rolled back: /),
    });
    // the node died at 1500; the call is reset once the coordinator rolled the leave back, after
    // retrying the failed barrier with delays (its Raft time is the simulation's time)
    expect(cluster.oplog.entries({ node: a!.id, actions: ['killed'] })[0]!.atMs - t0).toBe(1500);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(clock.now() - t0).toBeLessThan(1500 + 30_000);
    expect(cluster.oplog.entries({ node: a!.id, actions: ['killed'] })[0]!.detail).toMatchObject({ reason: 'died during decommission' });
    // the topology coordinator rolled the leave back: the node is a normal (dead) token owner again
    expect(topo.state(a!.id)).toBe('normal');
    expect(topo.current.tstate).toBeNull();
    expect(topo.ring()).toHaveLength(ringBefore);
    const req = Object.values(topo.current.requests)[0]!;
    expect([req.kind, req.status]).toEqual(['leave', 'failed']);
    expect(req.reason).toMatch(/^Rolled back: /);
    expect(await getJson(cluster, b!.id, '/storage_service/nodes/leaving')).toEqual([]);
    // started again, the node is NORMAL and a second decommission succeeds
    await clock.run(new SimShell(cluster, a!.id).run(['systemctl', 'start', 'scylla-server']));
    await clock.advance(cluster.timing.nativeTransportMs + 1000);
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('NORMAL');
    expect((await clock.run(cluster.request(a!.id, 'POST', '/storage_service/decommission'))).status).toBe(200);
    expect(requests(topo)).toEqual([
      ['leave', a!.id, 'failed'],
      ['leave', a!.id, 'done'],
    ]);
  });

  it('removenode takes removeNodeMs: every remaining normal node streams at the same time', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { failureDetectionDelayMs: 1000, removeNodeMs: 3000 } });
    const [a, b] = cluster.nodes;
    cluster.kill(b!.id);
    await clock.advance(1000);
    const t0 = clock.now();
    const r = await clock.run(cluster.request(a!.id, 'POST', `/storage_service/remove_node?host_id=${b!.hostId}`));
    expect(r.status, r.body).toBe(200);
    expect(clock.now() - t0).toBe(3000);
    expect(topo.state(b!.id)).toBe('left');
  });

  it('a streaming node dying during removenode rolls the removal back; the REST call fails', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { failureDetectionDelayMs: 1000, removeNodeMs: 3000 } });
    const [a, b, c] = cluster.nodes;
    cluster.kill(b!.id);
    await clock.advance(1000);
    const done = cluster.request(a!.id, 'POST', `/storage_service/remove_node?host_id=${b!.hostId}`);
    await clock.advance(1000);
    expect(topo.current.nodes[b!.id]?.state).toBe('removing');
    cluster.kill(c!.id);
    const r = await clock.run(done);
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body).message).toMatch(/removenode\[.*\]: failed in the Raft topology: Rolled back: streaming failed/);
    expect(topo.state(b!.id)).toBe('normal');
    expect(topo.current.tstate).toBeNull();
  });

  it('rebuild goes through a rebuild request and takes rebuildMs; a node dying meanwhile resets the call', async () => {
    const { clock, cluster, topo } = raftCluster({ timing: { rebuildMs: 2500 } });
    const [a, b] = cluster.nodes;
    const t0 = clock.now();
    expect((await clock.run(cluster.request(a!.id, 'POST', '/storage_service/rebuild?source_dc=dc1'))).status).toBe(200);
    expect(clock.now() - t0).toBe(2500);
    expect(topo.history.map((h) => h.nodeStates[a!.id])).toContain('rebuilding');
    expect(requests(topo)).toEqual([['rebuild', a!.id, 'done']]);
    expect((await cluster.request(a!.id, 'POST', '/storage_service/rebuild?source_dc=nope')).status).toBe(500);

    cluster.faults.inject({ kind: 'die-during', node: b!.id, operation: 'rebuild', afterMs: 1000 });
    await expect(clock.run(cluster.request(b!.id, 'POST', '/storage_service/rebuild'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    const failed = Object.values(topo.current.requests).find((r) => r.nodeId === b!.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/rebuild of .* failed/);
    expect(topo.state(b!.id)).toBe('normal');
  });
});
