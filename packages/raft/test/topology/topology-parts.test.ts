import { describe, expect, it } from 'vitest';
import { RaftVirtualClock, runVirtualClock } from '../../src/rafttest/index.js';
import {
  FencingGuard,
  InMemoryReplicatedLog,
  LocalNodeAgent,
  ManualFailureDetector,
  StaleTermError,
  StaleTopologyError,
  TopologyClient,
  TopologyCoordinator,
  TopologyStateMachine,
  type StreamRangesCommand,
  type TopologyNodeAgent,
} from '../../src/index.js';

const founders = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: 'r1' }));

describe('FencingGuard', () => {
  it('rejects versions below the fence, before and after the access, and never moves back', async () => {
    const g = new FencingGuard({ where: 'n1' });
    g.update(3, 2);
    expect(() => g.check(1)).toThrow(StaleTopologyError);
    expect(() => g.check(2)).not.toThrow();
    expect(() => g.check(0)).not.toThrow(); // unfenced
    g.update(2, 1);
    expect([g.version, g.fenceVersion]).toEqual([3, 2]);
    expect(() => g.update(3, 4)).toThrow(RangeError);
    let release!: () => void;
    const p = g.run(2, () => new Promise<void>((r) => (release = r)));
    g.update(4, 3);
    release();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleTopologyError);
    expect((err as StaleTopologyError).fenceVersion).toBe(3);
    expect((err as Error).message).toMatch(/at n1.*refresh the topology and retry/);
  });

  it('drains only requests routed with older versions, and refreshes on newer ones', async () => {
    let refreshed = 0;
    const g = new FencingGuard({
      refresh: async () => {
        refreshed++;
        g.update(6, 1);
      },
    });
    g.update(5, 1);
    let releaseOld!: () => void;
    let releaseNew!: () => void;
    const old = g.run(4, () => new Promise<void>((r) => (releaseOld = r)));
    const cur = g.run(5, () => new Promise<void>((r) => (releaseNew = r)));
    let drained = false;
    const d = g.drain(5).then(() => (drained = true));
    await Promise.resolve();
    expect(g.inFlight()).toBe(2);
    expect(drained).toBe(false);
    releaseOld();
    await old;
    await d;
    expect(drained).toBe(true);
    expect(g.inFlight(6)).toBe(1);
    releaseNew();
    await cur;
    await g.run(6, () => 'x');
    expect(refreshed).toBe(1);
  });
});

describe('LocalNodeAgent', () => {
  it('refuses commands from an older term and re-delivered commands in the same term', async () => {
    const sm = new TopologyStateMachine({ initialNodes: founders });
    const log = new InMemoryReplicatedLog(sm, 3);
    const streamed: StreamRangesCommand[] = [];
    const agent = new LocalNodeAgent({ nodeId: 'n2', log, stateMachine: sm, fencing: new FencingGuard(), streamRanges: async (c) => void streamed.push(c) });
    await expect(agent.barrier({ term: 2, index: 1, coordinatorId: 'n1' })).rejects.toBeInstanceOf(StaleTermError);
    await expect(agent.barrier({ term: 3, index: 5, coordinatorId: 'n1' })).resolves.toEqual({ version: 1 });
    await expect(agent.barrier({ term: 3, index: 5, coordinatorId: 'n1' })).rejects.toThrow(/not newer than 5/);
    // a stream command must belong to the operation in progress and its streaming session
    sm.apply({ type: 'submit', request: { kind: 'rebuild', nodeId: 'n2' }, requestId: 'r' });
    sm.apply({ type: 'step', guard: { stateId: sm.state.stateId, term: 4 }, step: { kind: 'start', requestId: 'r' } });
    await agent.streamRanges({ term: 4, index: 1, coordinatorId: 'n3', requestId: 'r', kind: 'rebuild', nodeId: 'n2', session: sm.state.session });
    await expect(agent.barrier({ term: 3, index: 9, coordinatorId: 'n1' })).rejects.toThrow(/older than term 4/);
    expect(streamed).toHaveLength(1);
    agent.stop();
    await expect(agent.barrier({ term: 9, index: 1, coordinatorId: 'n1' })).rejects.toThrow(/stopped/);
  });
});

describe('TopologyCoordinator over the one-replica log', () => {
  function setup(streamMs: number) {
    const clock = new RaftVirtualClock();
    const sm = new TopologyStateMachine({ initialNodes: founders });
    const log = new InMemoryReplicatedLog(sm, 1);
    const fd = new ManualFailureDetector();
    const agents = new Map<string, TopologyNodeAgent>();
    const agentFor = (id: string): TopologyNodeAgent => {
      let a = agents.get(id);
      if (!a) {
        a = new LocalNodeAgent({
          nodeId: id,
          log,
          stateMachine: sm,
          fencing: new FencingGuard(),
          streamRanges: () => new Promise((r) => void clock.setTimeout(r, streamMs)),
        });
        agents.set(id, a);
      }
      return a;
    };
    const coordinator = new TopologyCoordinator({ nodeId: 'n1', log, stateMachine: sm, agents: agentFor, failureDetector: fd, clock, retryDelayMs: 10 });
    const client = new TopologyClient({ log, stateMachine: sm, failureDetector: fd, clock, newRequestId: (() => { let n = 0; return () => `r${++n}`; })() });
    return { clock, sm, log, fd, coordinator, client };
  }

  it('fences in on start, runs a join, and stops on a role change', async () => {
    const { clock, sm, log, coordinator, client } = setup(10);
    coordinator.start();
    const out = client.request({ kind: 'join', node: { id: 'n4', address: 'a4', dc: 'dc1', rack: 'r1' } });
    let done = false;
    void out.then(() => (done = true));
    await runVirtualClock(clock, 1000, () => done);
    expect(await out).toEqual({ requestId: 'r1', status: 'done' });
    expect(sm.state.coordinatorTerm).toBe(1);
    log.stepDown();
    await runVirtualClock(clock, 1100);
    expect(coordinator.activeTerm).toBeUndefined();
    log.becomeLeader();
    await runVirtualClock(clock, 1200);
    expect(coordinator.activeTerm).toBe(2);
    expect(sm.state.coordinatorTerm).toBe(2);
    await coordinator.stop();
  });

  it('rolls back a join when the failure detector reports the joiner dead mid-stream', async () => {
    const { clock, sm, fd, coordinator, client } = setup(10_000);
    coordinator.start();
    const out = client.request({ kind: 'join', node: { id: 'n4', address: 'a4', dc: 'dc1', rack: 'r1' } });
    await runVirtualClock(clock, 500);
    expect(sm.state.tstate).toBe('write_both_read_old');
    fd.markDead('n4');
    let done = false;
    void out.then(() => (done = true));
    await runVirtualClock(clock, 1000, () => done);
    const o = await out;
    expect(o.status).toBe('failed');
    expect(o.reason).toMatch(/^Rolled back: streaming failed: .*n4.*went down/);
    expect(sm.state.nodes.n4?.state).toBe('left');
    await coordinator.stop();
  });

  it('lets a client abort a pending decommission but not a join', async () => {
    const { sm, client } = setup(10);
    const leave = await client.submit({ kind: 'leave', nodeId: 'n2' });
    const join = await client.submit({ kind: 'join', node: { id: 'n4', address: 'a4', dc: 'dc1', rack: 'r1' } });
    expect((await client.abort(leave.id))?.status).toBe('rejected');
    await expect(client.abort(join.id)).rejects.toThrow(/cannot be aborted/);
    expect(sm.state.requests[leave.id]).toMatchObject({ status: 'rejected', code: 'aborted' });
  });
});
