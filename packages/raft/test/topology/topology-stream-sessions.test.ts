import { describe, expect, it } from 'vitest';
import {
  FencingGuard,
  InMemoryReplicatedLog,
  LocalNodeAgent,
  StaleStreamError,
  StreamSessionRegistry,
  TopologyStateMachine,
  type SagaStep,
  type StreamRangesCommand,
} from '../../src/index.js';
import { founders, newNode } from './one-replica-topology.js';

const step = (m: TopologyStateMachine, s: SagaStep) => m.apply({ type: 'step', guard: { stateId: m.state.stateId, term: 1 }, step: s });

/** A node agent on n2 whose streams the test finishes by hand (they ignore their abort signal). */
function setup(skipStreamSessionCheck = false) {
  const sm = new TopologyStateMachine({ initialNodes: founders });
  const log = new InMemoryReplicatedLog(sm, 1);
  const calls: { cmd: StreamRangesCommand; signal: AbortSignal; finish: () => void }[] = [];
  const agent = new LocalNodeAgent({
    nodeId: 'n2',
    log,
    stateMachine: sm,
    fencing: new FencingGuard(),
    streamRanges: (cmd, signal) => new Promise<void>((finish) => void calls.push({ cmd, signal, finish })),
    testingKnobs: { skipStreamSessionCheck },
  });
  let index = 0;
  const cmd = (requestId: string, session: number, term = 1): StreamRangesCommand => ({ term, index: ++index, coordinatorId: 'n1', requestId, kind: 'rebuild', nodeId: 'n2', session });
  const startRebuild = (id: string): number => {
    sm.apply({ type: 'submit', request: { kind: 'rebuild', nodeId: 'n2' }, requestId: id });
    expect(step(sm, { kind: 'start', requestId: id }).ok).toBe(true);
    return sm.state.session;
  };
  const tick = () => new Promise((r) => setImmediate(r));
  return { sm, agent, calls, cmd, startRebuild, tick };
}

describe('streaming sessions', () => {
  it('a node refuses a stream command whose session is not the current one, or whose operation is not in progress', async () => {
    const { agent, cmd, startRebuild, calls } = setup();
    const s1 = startRebuild('rb1');
    await expect(agent.streamRanges(cmd('rb1', s1 - 1))).rejects.toThrow(StaleStreamError);
    await expect(agent.streamRanges(cmd('other', s1))).rejects.toThrow(/request other is not the operation in progress \(rb1\)/);
    const e = await agent.streamRanges(cmd('rb1', s1 + 5)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StaleStreamError);
    expect((e as StaleStreamError).message).toMatch(/refused stream_ranges for rb1 from n1: session \d+ is not the current streaming session/);
    expect(calls).toHaveLength(0); // nothing was streamed
  });

  // Misbehaviour: a stream of an operation that ended (here a rebuild that the coordinator gave up
  // on) finishes late, after a newer operation on the same node started streaming. The late
  // completion must not count: its caller gets StaleStreamError, and the newer operation's call
  // still waits for its own stream.
  it('a stale stream completion arriving late cannot complete a newer operation', async () => {
    const { sm, agent, cmd, startRebuild, calls, tick } = setup();
    const s1 = startRebuild('rb1');
    const old = agent.streamRanges(cmd('rb1', s1));
    const oldResult = old.then(
      () => 'ok',
      (e: unknown) => e,
    );
    await tick();
    expect(calls).toHaveLength(1);
    // the coordinator gives up on rb1 (its stream call timed out), and a new rebuild starts
    expect(step(sm, { kind: 'finish_rebuild', requestId: 'rb1', error: 'stream timed out', session: s1 }).ok).toBe(true);
    const s2 = startRebuild('rb2');
    expect(s2).toBeGreaterThan(s1);
    let newDone = false;
    const fresh = agent.streamRanges(cmd('rb2', s2)).then(() => (newDone = true));
    await tick();
    expect(calls).toHaveLength(2); // a new stream, not the old one joined
    expect(calls[0]!.signal.aborted).toBe(true); // the old stream was told to stop ...
    calls[0]!.finish(); // ... but ignores it and finishes late
    const r = await oldResult;
    expect(r).toBeInstanceOf(StaleStreamError);
    expect((r as Error).message).toMatch(/discarded the result of stream_ranges for rb1/);
    await tick();
    expect(newDone).toBe(false); // rb2 still waits for its own stream
    calls[1]!.finish();
    await fresh;
    expect(newDone).toBe(true);
    // and the state machine refuses a completion step that carries the old session
    expect(step(sm, { kind: 'finish_rebuild', requestId: 'rb2', session: s1 })).toMatchObject({ ok: false, code: 'stale_session' });
    expect(step(sm, { kind: 'finish_rebuild', requestId: 'rb2', session: s2 })).toMatchObject({ ok: true });
  });

  it('mutation: without the session check the same late completion is reported as a success (the test above notices)', async () => {
    const { sm, agent, cmd, startRebuild, calls, tick } = setup(true);
    const s1 = startRebuild('rb1');
    const old = agent.streamRanges(cmd('rb1', s1));
    await tick();
    step(sm, { kind: 'finish_rebuild', requestId: 'rb1', error: 'stream timed out', session: s1 });
    const s2 = startRebuild('rb2');
    void agent.streamRanges(cmd('rb2', s2));
    await tick();
    calls[0]!.finish();
    await expect(old).resolves.toBeUndefined();
    void agent.streamRanges(cmd('rb1', s1)).catch(() => undefined); // and a stale command is streamed
    await tick();
    expect(calls).toHaveLength(3);
  });

  it('a resend of the running stream (a new coordinator) joins it instead of streaming twice', async () => {
    const { agent, cmd, startRebuild, calls, tick } = setup();
    const s1 = startRebuild('rb1');
    const a = agent.streamRanges(cmd('rb1', s1, 1));
    await tick();
    const b = agent.streamRanges(cmd('rb1', s1, 2));
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await Promise.all([a, b]);
  });

  it('streamed carries the session: a step from an older streaming session is refused', () => {
    const m = new TopologyStateMachine({ initialNodes: founders });
    m.apply({ type: 'submit', request: { kind: 'join', node: newNode('n4') }, requestId: 'j' });
    for (const kind of ['start', 'accept_node', 'commit_cdc'] as const) step(m, { kind, requestId: 'j' });
    const session = m.state.session;
    expect(step(m, { kind: 'streamed', requestId: 'j', session: session - 1 })).toMatchObject({ ok: false, code: 'stale_session', reason: expect.stringMatching(/stale result is ignored/) });
    expect(m.state.tstate).toBe('write_both_read_old');
    expect(step(m, { kind: 'streamed', requestId: 'j', session })).toMatchObject({ ok: true });
  });

  it('StreamSessionRegistry: a newer session aborts older streams; the same session joins', async () => {
    const reg = new StreamSessionRegistry();
    const signals: AbortSignal[] = [];
    let finishA!: () => void;
    const a = reg.run({ requestId: 'x', session: 1 }, (s) => (signals.push(s), new Promise<void>((r) => (finishA = r))));
    expect(reg.run({ requestId: 'x', session: 1 }, () => Promise.reject(new Error('must not run')))).toBe(a);
    const b = reg.run({ requestId: 'y', session: 2 }, (s) => (signals.push(s), Promise.resolve()));
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
    finishA();
    await Promise.all([a, b]);
    expect(reg.inFlight).toEqual([]);
  });
});
