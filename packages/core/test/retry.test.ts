import { describe, expect, it } from 'vitest';
import { Prng, RecoverableError, computeRetryDelay, type RetryEvent } from '@scylla-cp/core';
import { T0, harness, inventory, planOf, secs, spec, type Behavior } from './engine-fixtures.js';

const backoff = { initialSeconds: 5, multiplier: 2, maxSeconds: 60 };

describe('computeRetryDelay', () => {
  it('grows exponentially from initialSeconds and caps at maxSeconds (no jitter)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => computeRetryDelay(backoff, n, undefined, { jitterRatio: 0 }));
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    expect(computeRetryDelay({ initialSeconds: 0.25, multiplier: 1.5, maxSeconds: 100 }, 3, undefined, { jitterRatio: 0 })).toBe(563);
  });

  it('never goes below retryAfterSeconds', () => {
    expect(computeRetryDelay(backoff, 1, new Prng(1), { retryAfterSeconds: 42 })).toBe(42_000);
    expect(computeRetryDelay(backoff, 1, undefined, { jitterRatio: 0, retryAfterSeconds: 2 })).toBe(5_000);
  });

  it('jitter removes at most jitterRatio of the delay, reproducibly for a seed', () => {
    const a = new Prng(99);
    const b = new Prng(99);
    for (let n = 1; n <= 50; n++) {
      const base = Math.min(60, 5 * 2 ** (n - 1)) * 1000;
      const d = computeRetryDelay(backoff, n, a);
      expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(d).toBeLessThanOrEqual(base);
      expect(computeRetryDelay(backoff, n, b)).toBe(d);
    }
    const spread = new Set(Array.from({ length: 20 }, () => computeRetryDelay(backoff, 1, a, { jitterRatio: 0.5 })));
    expect(spread.size).toBeGreaterThan(10);
  });

  it('rejects a jitter ratio outside [0, 1]', () => {
    expect(() => computeRetryDelay(backoff, 1, undefined, { jitterRatio: 1.5 })).toThrow(RangeError);
  });
});

/** Fails with `makeError()` for the first `failures` calls, recording the virtual second of each call. */
function failing(times: number[], failures: number, makeError: () => unknown): Behavior {
  return async (ctx) => {
    times.push((ctx.clock.now() - T0) / 1000);
    if (times.length <= failures) throw makeError();
    return 'ok';
  };
}

describe('Engine retries', () => {
  it('retries recoverable errors at the exact backoff times and records every attempt', async () => {
    const times: number[] = [];
    const h = harness({ flaky: failing(times, 3, () => new RecoverableError('503 from node')) });
    const retries: RetryEvent[] = [];
    h.engine.on('retry', (e) => retries.push(e));
    const plan = planOf(inventory(1, 1), [spec('flaky', { retries: 3, retryBackoff: { initialSeconds: 2, multiplier: 3, maxSeconds: 10 } })]);
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'r' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('succeeded');
    expect(times).toEqual([0, 2, 8, 18]);
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 2_000],
      [2, 6_000],
      [3, 10_000],
    ]);
    const [step] = await h.store.getSteps('r');
    expect(step).toMatchObject({ state: 'succeeded', attempts: 4, startedAt: T0, finishedAt: T0 + 18_000 });
    expect(step!.lastError).toBeUndefined();
    const types = (await h.store.listEvents('r')).map((e) => e.type);
    expect(types).toEqual(['job.started', 'step.started', 'step.retry', 'step.attempt', 'step.retry', 'step.attempt', 'step.retry', 'step.attempt', 'step.succeeded', 'job.succeeded']);
  });

  it('fails the step when retries are exhausted (retries + 1 attempts)', async () => {
    const times: number[] = [];
    const h = harness({ flaky: failing(times, 99, () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) });
    const plan = planOf(inventory(1, 1), [spec('flaky', { retries: 2 })]);
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'x' });
    const outcome = await h.clock.run(job.done);
    expect(times).toEqual([0, 5, 15]);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedSteps[0]!.error).toMatchObject({ code: 'ECONNREFUSED', classification: 'recoverable' });
    expect((await h.store.getSteps('x'))[0]).toMatchObject({ state: 'failed', attempts: 3, lastError: { code: 'ECONNREFUSED' } });
  });

  it('honours RecoverableError.retryAfterSeconds and HTTP 5xx statuses', async () => {
    const times: number[] = [];
    const errors = [new RecoverableError('slow down', { retryAfterSeconds: 30 }), Object.assign(new Error('bad gateway'), { status: 502 })];
    const h = harness({ flaky: failing(times, 2, () => errors.shift()) });
    const plan = planOf(inventory(1, 1), [spec('flaky', { retries: 5, retryBackoff: { initialSeconds: 1, multiplier: 1, maxSeconds: 1 } })]);
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'y' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('succeeded');
    expect(times).toEqual([0, 30, 31]);
  });

  it('timeout_seconds aborts an attempt (the task sees its signal) and the timeout is retried', async () => {
    const seen: string[] = [];
    const h = harness({
      hang: async (ctx) => {
        seen.push(`start@${secs(h.clock)}`);
        try {
          await ctx.clock.sleep(1_000_000, ctx.signal);
        } catch (e) {
          seen.push(`abort@${secs(h.clock)}:${(e as Error).message}`);
          throw e;
        }
      },
      deaf: async () => {
        seen.push(`deaf@${secs(h.clock)}`);
        await new Promise(() => {}); // ignores its signal entirely
      },
    });
    const plan = planOf(inventory(1, 1), [spec('hang', { timeoutSeconds: 5, retries: 1, retryBackoff: { initialSeconds: 1, multiplier: 1, maxSeconds: 1 } }), spec('deaf', { timeoutSeconds: 3 })], {
      abortOnFirstFailure: false,
    });
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 't' });
    const outcome = await h.clock.run(job.done);
    expect(seen).toEqual([
      'start@0',
      'abort@5:step s0/z0-n0/t0 (!act) attempt 1 timed out after 5s',
      'start@6',
      'abort@11:step s0/z0-n0/t0 (!act) attempt 2 timed out after 5s',
    ]);
    expect(outcome.failedSteps[0]!.error).toMatchObject({ code: 'STEP_TIMEOUT', classification: 'recoverable' });
    expect(secs(h.clock)).toBe(11);

    // a task that ignores its signal is waited for up to the abandon grace (60 s
    // by default), then given up on: the job fails with AttemptDidNotStopError
    const h2 = harness({ deaf: async () => await new Promise(() => {}) });
    const job2 = await h2.engine.start(planOf(inventory(1, 1), [spec('deaf', { timeoutSeconds: 3 })]), { operator: 'o', workflowText: '', jobId: 'd' });
    const out2 = await h2.clock.run(job2.done);
    expect(out2.state).toBe('failed');
    expect(out2.error?.name).toBe('AttemptDidNotStopError');
    expect(secs(h2.clock)).toBe(63);
  });

  it('jittered delays are reproducible for a seed and stay within the jitter band', async () => {
    const run = async (seed: number) => {
      const times: number[] = [];
      const h = harness({ flaky: failing(times, 4, () => new RecoverableError('x')) }, { seed, retryJitterRatio: 0.2 });
      const delays: number[] = [];
      h.engine.on('retry', (e) => delays.push(e.delayMs));
      const job = await h.engine.start(planOf(inventory(1, 1), [spec('flaky', { retries: 4 })]), { operator: 'o', workflowText: '', jobId: 'j' });
      await h.clock.run(job.done);
      return delays;
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
    [5_000, 10_000, 20_000, 40_000].forEach((base, i) => {
      expect(a[i]).toBeGreaterThanOrEqual(base * 0.8);
      expect(a[i]).toBeLessThanOrEqual(base);
    });
  });
});
