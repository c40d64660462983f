// Issue 12, "Smaller defects found the same way" (engine part).
import { describe, expect, it } from 'vitest';
import {
  ConditionCheck,
  MemoryStore,
  ScaledClock,
  SystemClock,
  VirtualClock,
  silentLogger,
  waitForCondition,
  type ClusterCondition,
  type ClusterExecutionContext,
  type NodeExecutionContext,
} from '@scylla-cp/core';
import { contractPlan } from '@scylla-cp/core';
import { harness, inventory, planOf, spec } from './engine-fixtures.js';

function ctxFor(clock: VirtualClock): ClusterExecutionContext {
  return {
    inventory: { name: 'c', nodes: [], connection: {} },
    job: { id: 'j', operator: 'op', variables: {}, workflowName: 'w' },
    logger: silentLogger,
    clock,
    signal: new AbortController().signal,
    services: { get: () => { throw new Error('none'); }, has: () => false },
    attempt: 1,
    stepId: 's0',
  } as unknown as ClusterExecutionContext;
}

describe('condition polls', () => {
  it('a raw ECONNREFUSED (recoverable by classifyError) is a failed poll, not the end of the wait', async () => {
    const clock = new VirtualClock();
    let polls = 0;
    const c: ClusterCondition = {
      name: () => 'flaky',
      check: async () => {
        polls++;
        if (polls < 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10000'), { code: 'ECONNREFUSED' });
        return { ok: true, detail: 'up' };
      },
    };
    const res = await clock.run(waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 5 }), ctxFor(clock)));
    expect(res).toEqual({ ok: true, detail: 'up' });
    expect(polls).toBe(3);
  });
});

describe('timers beyond 2^31-1 ms', () => {
  const LONG = 2_200_000_000; // ms, > 2^31-1 (Node would clamp it to 1 ms)

  it('SystemClock.sleep of 2.2e9 ms does not fire early', async () => {
    const clock = new SystemClock();
    let fired = false;
    const ac = new AbortController();
    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarn);
    clock.sleep(LONG, ac.signal).then(
      () => (fired = true),
      () => {},
    );
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    process.off('warning', onWarn);
    expect(fired).toBe(false);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('ScaledClock.sleep of a long delay does not fire early', async () => {
    const clock = new ScaledClock(1);
    let fired = false;
    const ac = new AbortController();
    clock.sleep(LONG, ac.signal).then(
      () => (fired = true),
      () => {},
    );
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    expect(fired).toBe(false);
  });

  it('a step with timeout_seconds 2200000 runs its task to the end on the engine (SystemClock)', async () => {
    const clock = new SystemClock();
    const h = harness({ ok: async (c) => (c as NodeExecutionContext).clock.sleep(20) }, { clock: clock as unknown as VirtualClock });
    const plan = planOf(inventory(1, 1), [spec('ok', { timeoutSeconds: 2_200_000 })]);
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    const outcome = await job.done;
    expect(outcome.failedSteps.map((f) => f.error.message)).toEqual([]);
    expect(outcome.state).toBe('succeeded');
  });
});

describe('steps.started_at', () => {
  it('keeps the first attempt time across later commits that carry startedAt (MemoryStore)', async () => {
    const store = new MemoryStore();
    await store.createJob({ id: 'j', cluster: 'c1', operator: 'o', workflowName: 'w', workflowText: '', plan: contractPlan(), at: 1 });
    const l = await store.acquireLease('j', 'h', 1000, 10);
    await store.commit(l, { at: 10, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 10 }] });
    await store.commit(l, { at: 50, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 2, startedAt: 50 }] });
    expect((await store.getSteps('j'))[0]!.startedAt).toBe(10);
  });
});

describe('the per-attempt AbortSignal', () => {
  it('takes many listeners at once (an HTTP client adds one per request in flight) without MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarn);
    try {
      const h = harness({
        fanout: async (c) => {
          const ctx = c as NodeExecutionContext;
          // 25 requests in flight on the attempt's signal, each removing its listener when done
          await Promise.all(
            Array.from({ length: 25 }, async () => {
              const onAbort = () => {};
              ctx.signal.addEventListener('abort', onAbort);
              await ctx.clock.sleep(10);
              ctx.signal.removeEventListener('abort', onAbort);
            }),
          );
        },
      });
      const job = await h.engine.start(planOf(inventory(1, 2), [spec('fanout'), spec('fanout')]), { operator: 't', workflowText: '' });
      expect((await h.clock.run(job.done)).state).toBe('succeeded');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarn);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
