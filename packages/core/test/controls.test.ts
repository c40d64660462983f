// Issue 12, "Operators' controls mean what they say".
import { describe, expect, it } from 'vitest';
import { ClusterLockedError, Engine, JobFinishedError, MemoryStore, PluginRegistry, VirtualClock, type Lease, type NodeExecutionContext } from '@scylla-cp/core';
import { harness, inventory, planOf, secs, spec, testPlugin } from './engine-fixtures.js';

const sleep = (s: number) => async (ctx: unknown) => (ctx as NodeExecutionContext).clock.sleep(s * 1000);

describe('pause and cancel from another process', () => {
  it('a pause recorded in the store is seen within 1 s and before any new step starts', async () => {
    const h = harness({ w: sleep(1) });
    const started: number[] = [];
    h.engine.on('step', (e) => {
      if (e.state === 'running') started.push(secs(h.clock));
    });
    const job = await h.engine.start(planOf(inventory(1, 20), [spec('w')], { limit: 1 }), { operator: 'o', workflowText: '', jobId: 'p' });
    await h.clock.advance(300);
    await h.store.requestControl('p', 'pause', h.clock.now());
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('paused');
    expect(started).toEqual([0]); // node 0 finished at 1 s; nothing started after the request
    expect(secs(h.clock)).toBeLessThanOrEqual(1.3);
  });

  it('pause vs slot refill: a request recorded at the instant a slot frees keeps the slot empty', async () => {
    const h = harness({ w: sleep(10) });
    const started: string[] = [];
    h.engine.on('step', (e) => {
      if (e.state === 'running') started.push(`${e.nodeId}@${secs(h.clock)}`);
      // the request lands while node 0 is recording its success, before the refill
      if (e.state === 'succeeded' && e.nodeId === 'z0-n0') void h.store.requestControl('r', 'pause', h.clock.now());
    });
    const job = await h.engine.start(planOf(inventory(1, 6), [spec('w')], { limit: 2 }), { operator: 'o', workflowText: '', jobId: 'r' });
    expect((await h.clock.run(job.done)).state).toBe('paused');
    expect(started).toEqual(['z0-n0@0', 'z0-n1@0']);
  });

  it("cancel is graceful (in-flight steps finish, no new one starts); 'cancel-now' aborts in-flight steps", async () => {
    const aborted: string[] = [];
    const h = harness({
      w: async (c) => {
        const ctx = c as NodeExecutionContext;
        try {
          await ctx.clock.sleep(10_000, ctx.signal);
        } catch (e) {
          aborted.push(ctx.node.id);
          throw e;
        }
      },
    });
    const plan = planOf(inventory(1, 6), [spec('w')], { limit: 2 });
    const a = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'a' });
    await h.clock.advance(2_000);
    await h.store.requestControl('a', 'cancel', h.clock.now());
    const outA = await h.clock.run(a.done);
    expect(outA.state).toBe('cancelled');
    expect(aborted).toEqual([]);
    expect(secs(h.clock)).toBe(10);
    expect((await h.store.getSteps('a')).map((s) => s.state)).toEqual(['succeeded', 'succeeded']);

    const b = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'b' });
    await h.clock.advance(2_000);
    await h.store.requestControl('b', 'cancel-now', h.clock.now());
    const outB = await h.clock.run(b.done);
    expect(outB.state).toBe('cancelled');
    expect(aborted.sort()).toEqual(['z0-n0', 'z0-n1']);
    expect(secs(h.clock)).toBeLessThan(13);

    const c = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'c' });
    await h.clock.advance(1_000);
    c.cancel('graceful from the handle');
    expect((await h.clock.run(c.done)).state).toBe('cancelled');
    expect((await h.store.getSteps('c')).map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('final states', () => {
  it('cancel vs resume: a resume that loses the race against a cancel re-runs nothing', async () => {
    const runs: string[] = [];
    const clock = new VirtualClock();
    let beforeOpen: (() => Promise<void>) | undefined;
    class RacyStore extends MemoryStore {
      override async acquireLease(jobId: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease> {
        const lease = await super.acquireLease(jobId, holder, ttlMs, nowMs);
        const hook = beforeOpen;
        beforeOpen = undefined;
        if (hook) {
          // the CLI's cancel lands between the resume's checks and its first write
          await super.releaseLease(lease);
          await hook();
          return super.acquireLease(jobId, holder, ttlMs, nowMs);
        }
        return lease;
      }
    }
    const store = new RacyStore();
    const registry = new PluginRegistry().register(testPlugin({ w: async (ctx) => void runs.push(ctx.stepId) }));
    const engine = new Engine({ store, registry, clock, seed: 1 });
    const job = await engine.start(planOf(inventory(1, 3), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'x' });
    job.pause();
    await clock.run(job.done);
    const ran = runs.length;
    beforeOpen = async () => {
      const l = await store.acquireLease('x', 'cli-cancel', 30_000, clock.now());
      await store.commit(l, { at: clock.now(), job: { state: 'cancelled', clearControl: true }, events: [{ type: 'job-cancelled', data: {} }] });
      await store.releaseLease(l);
    };
    await expect(engine.resume('x')).rejects.toBeInstanceOf(JobFinishedError);
    expect(runs.length).toBe(ran);
    expect((await store.getJob('x')).state).toBe('cancelled');
  });

  it('a failed job keeps the cluster lock until it is retried or cancelled, and the lock error says so', async () => {
    const h = harness({ bad: async () => { throw new Error('broken'); }, ok: async () => {} });
    const failed = await h.engine.start(planOf(inventory(1, 1), [spec('bad')]), { operator: 'alice', workflowText: '', jobId: 'f' });
    expect((await h.clock.run(failed.done)).state).toBe('failed');
    const err = await h.engine.start(planOf(inventory(1, 1), [spec('ok')]), { operator: 'bob', workflowText: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterLockedError);
    expect((err as Error).message).toContain('failed mid-operation and keeps the lock');
    await h.engine.cancel('f');
    expect((await h.store.getJob('f')).state).toBe('cancelled');
    const next = await h.engine.start(planOf(inventory(1, 1), [spec('ok')]), { operator: 'bob', workflowText: '' });
    expect((await h.clock.run(next.done)).state).toBe('succeeded');
  });
});

describe('retry budget across resumes', () => {
  it('retries: 1 means at most 2 attempts in total, whatever the number of interrupts', async () => {
    const attempts: number[] = [];
    const h = harness({
      flaky: async (c) => {
        const ctx = c as NodeExecutionContext;
        attempts.push(ctx.attempt);
        await ctx.clock.sleep(10_000, ctx.signal);
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    const plan = planOf(inventory(1, 1), [spec('flaky', { retries: 1, retryBackoff: { initialSeconds: 1, multiplier: 1, maxSeconds: 1 } })]);
    let job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'b' });
    for (let i = 0; i < 3; i++) {
      await h.clock.advance(i === 0 ? 12_000 : 2_000); // the first run is in attempt 2; later ones mid-attempt
      job.interrupt('crash');
      expect((await h.clock.run(job.done)).state).toBe('paused');
      job = await h.engine.resume('b');
    }
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    expect(Math.max(...attempts)).toBe(2);
    expect((await h.store.getSteps('b'))[0]!.attempts).toBe(2);
  });
});

describe('retry budget: a pause or crash during the retry delay', () => {
  it('does not give back the attempt that already failed', async () => {
    const attempts: number[] = [];
    const h = harness({
      flaky: async (c) => {
        const ctx = c as NodeExecutionContext;
        attempts.push(ctx.attempt);
        await ctx.clock.sleep(10_000, ctx.signal);
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    });
    const plan = planOf(inventory(1, 1), [spec('flaky', { retries: 1, retryBackoff: { initialSeconds: 5, multiplier: 1, maxSeconds: 5 } })]);
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'rd' });
    await h.clock.advance(12_000); // attempt 1 failed at 10 s; the retry waits until 15 s
    job.pause();
    expect((await h.clock.run(job.done)).state).toBe('paused');
    expect(attempts).toEqual([1]);
    const again = await h.engine.resume('rd');
    expect((await h.clock.run(again.done)).state).toBe('failed');
    expect(attempts).toEqual([1, 2]);
  });
});

describe('lease holders', () => {
  it('two engines built in one millisecond (same clock, same process) get different holders and job ids', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const registry = new PluginRegistry().register(testPlugin({}));
    const a = new Engine({ store, registry, clock });
    const b = new Engine({ store, registry, clock });
    expect(a.holder).not.toBe(b.holder);
    expect(a.newJobId()).not.toBe(b.newJobId());
  });
});
