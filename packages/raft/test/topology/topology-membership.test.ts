import { describe, expect, it } from 'vitest';
import { RaftPrng } from '../../src/index.js';
import {
  RaftVirtualClock,
  runVirtualClock,
  SimulatedTopologyCluster,
  VirtualRaftGroup,
  type SimulatedTopologyClusterOptions,
} from '../../src/rafttest/index.js';

const founders = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: `r${(i % 3) + 1}` }));

async function cluster(options: Partial<SimulatedTopologyClusterOptions> = {}): Promise<SimulatedTopologyCluster> {
  const c = new SimulatedTopologyCluster({ nodes: founders, seed: 5, staleCommitProbability: 0, ...options });
  expect(await c.runUntil(() => c.leaderId !== undefined && c.state().coordinatorTerm > 0, 2000)).toBe(true);
  return c;
}

describe('VirtualRaftGroup membership changes', () => {
  it('adds and removes voters through the leader, one change at a time; a removed leader steps down', async () => {
    const clock = new RaftVirtualClock();
    const g = new VirtualRaftGroup({ voters: ['a', 'b', 'c'], learners: ['d'], initialNodes: [], clock, prng: new RaftPrng(3) });
    await runVirtualClock(clock, clock.now() + 500);
    const leader = g.leaderId!;
    expect(leader).toBeDefined();
    const follower = g.voters.find((v) => v !== leader)!;
    await expect(g.addVoter(follower, 'd')).rejects.toThrow(/not the leader/);
    const add = g.addVoter(leader, 'd');
    // a second change while one is in flight is refused
    await expect(g.removeVoter(leader, follower)).rejects.toThrow(/another configuration change/);
    await runVirtualClock(clock, clock.now() + 20);
    await add;
    expect(g.voters.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(g.configVersion).toBe(1);
    // with four voters, two dead ones leave no quorum; removing one of them first keeps it
    const dead = g.voters.filter((v) => v !== leader).slice(0, 2);
    const rm = g.removeVoter(leader, dead[0]!);
    await runVirtualClock(clock, clock.now() + 20);
    await rm;
    for (const d of dead) g.kill(d);
    await runVirtualClock(clock, clock.now() + 500);
    expect(g.leaderId).toBe(leader);
    // the leader removes itself: it steps down and a remaining voter takes over
    g.restart(dead[1]!);
    const self = g.removeVoter(leader, leader);
    await runVirtualClock(clock, clock.now() + 500);
    await self;
    expect(g.isVoter(leader)).toBe(false);
    expect(g.leaderId).toBeDefined();
    expect(g.leaderId).not.toBe(leader);
    g.stop();
  });

  it('refuses to remove the last voter', async () => {
    const clock = new RaftVirtualClock();
    const g = new VirtualRaftGroup({ voters: ['a'], initialNodes: [], clock, prng: new RaftPrng(1) });
    await runVirtualClock(clock, clock.now() + 300);
    await expect(g.removeVoter('a', 'a')).rejects.toThrow(/last voter/);
    g.stop();
  });
});

describe('SimulatedTopologyCluster keeps its voters', () => {
  it('a decommissioned leader hands over and leaves the voters; a normal non-voter is promoted', async () => {
    const c = await cluster({ voters: ['n1', 'n2', 'n3'] });
    const leader = c.leaderId!;
    expect((await c.drive(c.decommission(leader))).status).toBe('done');
    await c.runFor(100);
    expect(c.group.isVoter(leader)).toBe(false);
    expect(c.group.voters).toHaveLength(3);
    expect(c.leaderId).toBeDefined();
    expect(c.leaderId).not.toBe(leader);
    // the promoted node has a coordinator (it can lead)
    for (const v of c.group.voters) expect(c.node(v).coordinator).toBeDefined();
    await c.stop();
  });

  it('removenode and replace take dead voters out; the group keeps a quorum through three in turn', async () => {
    const c = await cluster();
    let next = 6;
    for (const victim of ['n1', 'n2', 'n3']) {
      c.kill(victim);
      await c.runFor(200);
      const out =
        victim === 'n2'
          ? await c.drive(c.removenode(victim))
          : await c.drive(c.replace({ id: `n${next}`, address: `10.0.0.${next++}`, dc: 'dc1', rack: founders.find((f) => f.id === victim)!.rack }, victim));
      expect(out, JSON.stringify(out)).toMatchObject({ status: 'done' });
      expect(c.group.isVoter(victim)).toBe(false);
    }
    // 5 founders, 3 gone, 2 replacements joined: four live nodes, all voters
    expect(c.group.voters.sort()).toEqual(['n4', 'n5', 'n6', 'n7']);
    expect((await c.drive(c.join({ id: 'n9', address: '10.0.0.9', dc: 'dc1', rack: 'r3', numTokens: 2 }))).status).toBe('done');
    // a joiner is promoted once the group is below its voter count (5)
    expect(c.group.isVoter('n9')).toBe(true);
    await c.stop();
  });

  it('stop() ends request() waits that never finished', async () => {
    const c = await cluster();
    const p = c.request({ kind: 'leave', nodeId: 'n5' });
    const settled = p.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    expect(await c.runUntil(() => c.state().requests[Object.keys(c.state().requests)[0] ?? '']?.status === 'running', 500)).toBe(true);
    // no quorum from now on: the request cannot finish
    for (const id of ['n1', 'n2', 'n3']) c.kill(id);
    await c.runFor(3000);
    await c.stop();
    expect(await settled).toMatch(/stopped before request .* finished/);
  });
});
