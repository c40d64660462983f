import { describe, expect, it } from 'vitest';
import {
  CONDITION_POLL_REPORTER,
  ConditionCheck,
  ConditionTimeoutError,
  RecoverableError,
  UnrecoverableError,
  VirtualClock,
  silentLogger,
  waitForCondition,
  type ClusterCondition,
  type ClusterExecutionContext,
  type ConditionPollInfo,
  type ConditionResult,
} from '@scylla-cp/core';

const T0 = 1_767_225_600_000;

function ctxFor(clock: VirtualClock, signal = new AbortController().signal, extra: Record<symbol, unknown> = {}): ClusterExecutionContext {
  return {
    inventory: { name: 'c', nodes: [], connection: {} },
    job: { id: 'j', operator: 'op', variables: {}, workflowName: 'w' },
    logger: silentLogger,
    clock,
    signal,
    services: { get: () => { throw new Error('none'); }, has: () => false },
    attempt: 1,
    stepId: 's0',
    ...extra,
  } as ClusterExecutionContext;
}

/** A condition whose poll results follow a script indexed by poll number; records poll times. */
class Scripted implements ClusterCondition {
  readonly times: number[] = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly script: (poll: number) => ConditionResult | Error,
  ) {}
  name() {
    return 'scripted';
  }
  async check(): Promise<ConditionResult> {
    this.times.push((this.clock.now() - T0) / 1000);
    const r = this.script(this.times.length);
    if (r instanceof Error) throw r;
    return r;
  }
}

const good = (d = 'good'): ConditionResult => ({ ok: true, detail: d });
const bad = (d = 'bad'): ConditionResult => ({ ok: false, detail: d });

describe('waitForCondition', () => {
  it('window 0: passes on the first good poll, at its time', async () => {
    const clock = new VirtualClock();
    const c = new Scripted(clock, (n) => (n < 3 ? bad() : good('fine')));
    const res = await clock.run(waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 5 }), ctxFor(clock)));
    expect(res).toEqual({ ok: true, detail: 'fine' });
    expect(c.times).toEqual([0, 5, 10]);
    expect(clock.now() - T0).toBe(10_000);
  });

  it('needs good polls spanning the whole window; a bad poll restarts it', async () => {
    const clock = new VirtualClock();
    // good at 0,5 ; bad at 10 ; good from 15 on -> passes at 15 + 10 = 25
    const c = new Scripted(clock, (n) => (n === 3 ? bad('blip') : good()));
    const polls: ConditionPollInfo[] = [];
    await clock.run(
      waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 5, successWindowSeconds: 10 }), ctxFor(clock), { onPoll: (p) => polls.push(p) }),
    );
    expect(c.times).toEqual([0, 5, 10, 15, 20, 25]);
    expect(polls.map((p) => p.heldSeconds)).toEqual([0, 5, 0, 0, 5, 10]);
    expect(polls.map((p) => p.passed)).toEqual([false, false, false, false, false, true]);
  });

  it('a recoverable check error is a failed poll recorded with its message', async () => {
    const clock = new VirtualClock();
    const c = new Scripted(clock, (n) => (n === 1 ? new RecoverableError('connection refused') : good()));
    const polls: ConditionPollInfo[] = [];
    await clock.run(waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 2 }), ctxFor(clock), { onPoll: (p) => polls.push(p) }));
    expect(polls[0]).toMatchObject({ ok: false, detail: 'connection refused', error: 'connection refused', poll: 1 });
    expect(polls[1]).toMatchObject({ ok: true, passed: true, poll: 2, at: T0 + 2000 });
  });

  it('an unrecoverable (or unknown) check error fails at once', async () => {
    const clock = new VirtualClock();
    const c = new Scripted(clock, (n) => (n === 2 ? new UnrecoverableError('node decommissioned') : bad()));
    await expect(clock.run(waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 5 }), ctxFor(clock)))).rejects.toThrow('node decommissioned');
    expect(c.times).toEqual([0, 5]);

    const clock2 = new VirtualClock();
    const c2 = new Scripted(clock2, () => new TypeError('bug in check'));
    await expect(clock2.run(waitForCondition(ConditionCheck.withDefaults(c2), ctxFor(clock2)))).rejects.toBeInstanceOf(TypeError);
    expect(c2.times).toEqual([0]);
  });

  it('times out with ConditionTimeoutError carrying the last detail, at the timeout', async () => {
    const clock = new VirtualClock();
    const c = new Scripted(clock, (n) => bad(`pending compactions ${100 - n}`));
    const err = await clock
      .run(waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 4, timeoutSeconds: 10 }), ctxFor(clock)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionTimeoutError);
    expect(err).toBeInstanceOf(UnrecoverableError);
    const e = err as ConditionTimeoutError;
    expect(c.times).toEqual([0, 4, 8]);
    expect(e.lastDetail).toBe('pending compactions 97');
    expect(e.polls).toBe(3);
    expect(e.condition).toBe('scripted');
    expect(clock.now() - T0).toBe(10_000);
  });

  it('a window that cannot complete before the timeout times out', async () => {
    const clock = new VirtualClock();
    const c = new Scripted(clock, () => good('ok'));
    const err = await clock
      .run(waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 5, successWindowSeconds: 30, timeoutSeconds: 20 }), ctxFor(clock)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionTimeoutError);
    expect(c.times).toEqual([0, 5, 10, 15, 20]);
  });

  it('a check still running at the timeout fails the wait at the timeout', async () => {
    const clock = new VirtualClock();
    const hanging: ClusterCondition = { name: () => 'hang', check: () => new Promise<ConditionResult>(() => {}) };
    const err = await clock.run(waitForCondition(new ConditionCheck(hanging, { timeoutSeconds: 7 }), ctxFor(clock))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionTimeoutError);
    expect(clock.now() - T0).toBe(7000);
  });

  it('honours the context signal while sleeping between polls', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const c = new Scripted(clock, () => bad());
    const p = waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 5 }), ctxFor(clock, ac.signal)).catch((e: unknown) => e);
    await clock.advance(12_000);
    ac.abort(new Error('operator aborted'));
    const err = await p;
    expect((err as Error).message).toBe('operator aborted');
    expect(c.times).toEqual([0, 5, 10]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports polls to the reporter stored on the context (engine integration)', async () => {
    const clock = new VirtualClock();
    const seen: ConditionPollInfo[] = [];
    const c = new Scripted(clock, (n) => (n < 2 ? bad('no') : good('yes')));
    await clock.run(waitForCondition(ConditionCheck.withDefaults(c), ctxFor(clock, undefined, { [CONDITION_POLL_REPORTER]: (p: ConditionPollInfo) => seen.push(p) })));
    expect(seen.map((p) => [p.poll, p.ok, p.detail])).toEqual([
      [1, false, 'no'],
      [2, true, 'yes'],
    ]);
  });
});
