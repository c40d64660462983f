import { VirtualClock } from '@scylla-cp/core';
import { RaftServer } from '@scylla-cp/raft';
import { describe, expect, it } from 'vitest';
import { RaftSimGroup, RaftSimTopology, SimShell } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function raftCluster(options: Parameters<typeof virtualCluster>[0] = {}) {
  const r = virtualCluster(options);
  if (!(r.cluster.topology instanceof RaftSimTopology)) throw new Error('expected the Raft topology');
  return { ...r, topo: r.cluster.topology };
}

function threeNodeGroup(seed: number) {
  const clock = new VirtualClock();
  const nodes = ['a', 'b', 'c'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: `r${i + 1}`, numTokens: 4 }));
  return { clock, group: new RaftSimGroup({ nodes, clock, seed }) };
}

/**
 * Issue 16 item 3: the simulated cluster's topology runs on the real Raft library (RaftServer,
 * RaftCore) with a simulated disk and network, on the simulation's own clock.
 */
describe(`the simulated cluster's topology on RaftServers (SEED=${SEED})`, () => {
  it('every node runs a RaftServer; a leader is elected at once and a failover takes an election timeout of simulated time', async () => {
    const { clock, cluster, topo } = raftCluster();
    for (const n of cluster.nodes) expect(topo.group.node(n.id).server).toBeInstanceOf(RaftServer);
    const leader = topo.group.leaderId!;
    expect(leader).toBeDefined();
    expect(await getJson(cluster, cluster.nodes[3]!.id, '/raft/leader_host')).toBe(cluster.node(leader).hostId);

    const t0 = clock.now();
    cluster.kill(leader);
    // the group's clock is the simulation's: no new leader before an election timeout (10 ticks of 10 ms) passed
    await clock.advance(90);
    expect(topo.group.leaderId).toBeUndefined();
    let elected: number | undefined;
    while (topo.group.leaderId === undefined && clock.now() - t0 < 2000) {
      await clock.advance(10);
      if (topo.group.leaderId !== undefined) elected = clock.now() - t0;
    }
    expect(elected).toBeGreaterThanOrEqual(100);
    expect(elected).toBeLessThan(1000);
    expect(topo.group.leaderId).not.toBe(leader);
    expect(await getJson(cluster, cluster.nodes[3]!.id, '/raft/leader_host')).toBe(cluster.node(topo.group.leaderId!).hostId);
    // and the new coordinator works: a rebuild through REST completes (a decommission would be
    // refused while the old leader is down and not removed)
    const r = await clock.run(cluster.request(cluster.nodes[5]!.id, 'POST', '/storage_service/rebuild'));
    expect(r.status, r.body).toBe(200);
    expect(topo.history.some((h) => h.nodeStates[cluster.nodes[5]!.id] === 'rebuilding')).toBe(true);
  });

  it('GET /raft/leader_host waits for an election, and answers 500 when a lost quorum elects nobody', async () => {
    const { clock, cluster, topo } = raftCluster();
    const viewer = cluster.nodes[5]!.id; // not a voter
    const voters = topo.group.group.voters;
    // the leader dies: the route answers once a new leader is elected (no 500 in between)
    const leader = topo.group.leaderId!;
    cluster.kill(leader);
    const t0 = clock.now();
    const r = await clock.run(cluster.request(viewer, 'GET', '/raft/leader_host'));
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).not.toBe(cluster.node(leader).hostId);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(100);
    // two more voters die: 2 of 5 left, no majority, no leader
    for (const v of voters.filter((x) => x !== leader).slice(0, 2)) cluster.kill(v);
    await clock.advance(1000);
    expect(topo.group.leaderId).toBeUndefined();
    const none = await clock.run(cluster.request(viewer, 'GET', '/raft/leader_host'));
    expect(none.status).toBe(500);
    expect(none.body).toMatch(/no leader/);
  });

  it("a killed node's server stops; systemctl start makes a new server that loads its log from the node's simulated disk, then catches up", async () => {
    const { clock, cluster, topo } = raftCluster();
    const id = cluster.nodes.find((n) => n.id !== topo.group.leaderId)!.id;
    const before = topo.group.node(id).server;
    cluster.kill(id);
    expect(topo.group.isAlive(id)).toBe(false);
    expect(before.isRunning()).toBe(false);
    // the topology moves on without it
    expect((await clock.run(cluster.request(cluster.nodes.find((n) => n.id !== id && n.id !== topo.group.leaderId)!.id, 'POST', '/storage_service/rebuild'))).status).toBe(200);
    const durable = topo.group.disk(id).lastIndex();
    expect(durable).toBeGreaterThan(0);
    await clock.run(new SimShell(cluster, id).run(['systemctl', 'start', 'scylla-server']));
    const after = topo.group.node(id).server;
    expect(after).not.toBe(before);
    expect(topo.group.isAlive(id)).toBe(true);
    await clock.advance(1000);
    // caught up with the leader: same topology state (the rebuild is there)
    expect(topo.group.node(id).stateMachine.state.stateId).toBe(topo.current.stateId);
    expect(Object.values(topo.group.node(id).stateMachine.state.requests).map((r) => [r.kind, r.status])).toEqual([['rebuild', 'done']]);
  });

  it('a crash loses the writes its disk had not synced, and the restarted server starts from what the disk kept', async () => {
    // kill a follower at the first instant its disk holds unsynced writes, over several seeds
    let lost = 0;
    for (let seed = SEED; seed < SEED + 12; seed++) {
      const { clock, group } = threeNodeGroup(seed);
      const follower = ['a', 'b', 'c'].find((x) => x !== group.leaderId)!;
      const disk = group.disk(follower);
      let killedWith: { unsynced: number; lostBefore: number } | undefined;
      const watch = (): void => {
        if (killedWith) return;
        if (disk.unsynced > 0) {
          killedWith = { unsynced: disk.unsynced, lostBefore: disk.lostWrites };
          group.kill(follower);
        } else group.clock.setTimeout(watch, 0);
      };
      group.clock.setTimeout(watch, 0);
      const done = group.rebuild(['a', 'b', 'c'].find((x) => x !== follower && x !== group.leaderId)!);
      await clock.run(done);
      expect(killedWith, `SEED=${seed}`).toBeDefined();
      expect(disk.unsynced, `SEED=${seed}`).toBe(0);
      if (disk.lostWrites > killedWith!.lostBefore) lost++;
      const kept = disk.lastIndex();
      group.restart(follower);
      // loaded from the disk: the crash's survivors, nothing more, before any message arrived
      expect(group.node(follower).server.status().lastIndex, `SEED=${seed}`).toBe(kept);
      await clock.advance(1000);
      expect(group.node(follower).stateMachine.state.stateId, `SEED=${seed}`).toBe(group.state().stateId);
      await group.stop();
    }
    // a crash drops unsynced writes wholly, as a torn suffix, or (seeded) not at all
    expect(lost).toBeGreaterThan(0);
  });

  it('a quiet group pauses: an idle hour of simulated time costs no Raft time, and the next request resumes it', async () => {
    const { clock, cluster, topo } = raftCluster();
    await clock.advance(1000);
    const raftBefore = topo.group.clock.now();
    expect(topo.group.clock.paused).toBe(true);
    await clock.advance(3_600_000);
    expect(topo.group.clock.now()).toBe(raftBefore);
    const t0 = clock.now();
    const r = await clock.run(cluster.request(cluster.nodes[5]!.id, 'POST', '/storage_service/decommission'));
    expect(r.status, r.body).toBe(200);
    // the decommission took its streaming time exactly; the Raft steps around it take none
    expect(clock.now() - t0).toBe(cluster.timing.decommissionMs);
    expect(topo.group.clock.now()).toBeGreaterThan(raftBefore);
  });

  it('is deterministic: the same seed gives the same leaders, Raft times and topology history', async () => {
    const run = async () => {
      const { clock, cluster, topo } = raftCluster();
      const trace: unknown[] = [];
      topo.onChange((s) => trace.push([clock.now(), topo.group.clock.now(), topo.group.leaderId, s.version, s.tstate]));
      cluster.kill(topo.group.leaderId!);
      await clock.advance(500);
      trace.push(['leader', topo.group.leaderId]);
      await clock.run(cluster.request(cluster.nodes[5]!.id, 'POST', '/storage_service/decommission'));
      return trace;
    };
    const a = await run();
    expect(a.length).toBeGreaterThan(3);
    expect(await run()).toEqual(a);
  });
});
