// Issue 15 item 5 (engine part): finally_tasks run when the job ends in any way, recorded and resumed, never skipped by a crash.
import { describe, expect, it } from 'vitest';
import { Engine, MemoryStore, StoreUnavailableError, type JobPlan, type Lease, type NodeExecutionContext, type Transition } from '@scylla-cp/core';
import { harness, inventory, planOf, spec, type Behavior } from './engine-fixtures.js';

const sleep = (s: number): Behavior => async (ctx) => (ctx as NodeExecutionContext).clock.sleep(s * 1000, ctx.signal);

function withFinally(plan: JobPlan, ...names: string[]): JobPlan {
  return { ...plan, finallySteps: names.map((n, i) => ({ kind: 'cluster-task', id: `f${i}`, task: spec(n) })) };
}

/** A MemoryStore whose commits throw (a crash of the runner's store link) when `failWhen` says so. */
class CrashingStore extends MemoryStore {
  failWhen: ((t: Transition) => boolean) | undefined;
  override async commit(lease: Lease, t: Transition): Promise<void> {
    if (this.failWhen?.(t)) {
      this.failWhen = undefined;
      throw new StoreUnavailableError('the runner crashed (test)');
    }
    return super.commit(lease, t);
  }
}

describe('finally_tasks in the engine', () => {
  it('run after the main body when the job succeeds, in order, recorded like any step', async () => {
    const order: string[] = [];
    const h = harness({ w: async (c) => void order.push(`w:${(c as NodeExecutionContext).node.id}`), a: async () => void order.push('a'), b: async () => void order.push('b') });
    const job = await h.engine.start(withFinally(planOf(inventory(1, 2), [spec('w')]), 'a', 'b'), { operator: 'o', workflowText: '', jobId: 'j' });
    const out = await h.clock.run(job.done);
    expect(out.state).toBe('succeeded');
    expect(order).toEqual(['w:z0-n0', 'w:z0-n1', 'a', 'b']);
    const steps = await h.store.getSteps('j');
    expect(steps.filter((s) => s.stepId.startsWith('f')).map((s) => [s.stepId, s.state])).toEqual([
      ['f0', 'succeeded'],
      ['f1', 'succeeded'],
    ]);
  });

  it('run when the job fails; a failed clean-up step does not stop the next and fails a job that would have succeeded', async () => {
    const ran: string[] = [];
    const h = harness({
      w: async () => {
        throw new Error('boom');
      },
      a: async () => void ran.push('a'),
      bad: async () => {
        throw new Error('clean-up broke');
      },
    });
    const out = await h.clock.run((await h.engine.start(withFinally(planOf(inventory(1, 2), [spec('w')]), 'a'), { operator: 'o', workflowText: '' })).done);
    expect(out.state).toBe('failed');
    expect(ran).toEqual(['a']);

    const h2 = harness({ w: async () => {}, bad: async () => {
      throw new Error('clean-up broke');
    }, a: async () => void ran.push('a2') });
    const out2 = await h2.clock.run((await h2.engine.start(withFinally(planOf(inventory(1, 1), [spec('w')]), 'bad', 'a'), { operator: 'o', workflowText: '' })).done);
    expect(out2.state).toBe('failed');
    expect(out2.failedSteps.map((f) => f.stepId)).toEqual(['f0']);
    expect(ran).toEqual(['a', 'a2']);
  });

  it('run after a graceful cancel and after cancel --now, with a signal the cancel did not abort', async () => {
    for (const now of [false, true]) {
      const seen: boolean[] = [];
      const h = harness({ w: sleep(10), a: async (c) => void seen.push(c.signal.aborted) });
      const job = await h.engine.start(withFinally(planOf(inventory(1, 3), [spec('w')]), 'a'), { operator: 'o', workflowText: '', jobId: 'c' });
      await h.clock.advance(5_000);
      if (now) job.abort('stop');
      else job.cancel('stop');
      const out = await h.clock.run(job.done);
      expect(out.state).toBe('cancelled');
      expect(seen).toEqual([false]);
      expect((await h.store.getSteps('c')).find((s) => s.stepId === 'f0')?.state).toBe('succeeded');
    }
  });

  it('do not run when the job only pauses; run when the resumed job ends', async () => {
    const ran: string[] = [];
    const h = harness({ w: sleep(10), a: async () => void ran.push('a') });
    const job = await h.engine.start(withFinally(planOf(inventory(1, 3), [spec('w')]), 'a'), { operator: 'o', workflowText: '', jobId: 'p' });
    await h.clock.advance(5_000);
    job.pause();
    expect((await h.clock.run(job.done)).state).toBe('paused');
    expect(ran).toEqual([]);
    const again = await h.engine.resume('p');
    expect((await h.clock.run(again.done)).state).toBe('succeeded');
    expect(ran).toEqual(['a']);
  });

  it('a crash after the main body ended runs them on resume (the main body is not run again)', async () => {
    const store = new CrashingStore();
    const runs: string[] = [];
    const h = harness({ w: async (c) => void runs.push((c as NodeExecutionContext).node.id), a: async () => void runs.push('a') }, { store });
    store.failWhen = (t) => t.steps?.some((s) => s.stepId === 'f0' && s.state === 'running') ?? false;
    const job = await h.engine.start(withFinally(planOf(inventory(1, 2), [spec('w')]), 'a'), { operator: 'o', workflowText: '', jobId: 'k' });
    expect((await h.clock.run(job.done)).state).toBe('interrupted');
    expect((await store.getJob('k')).state).toBe('running');
    expect(runs).toEqual(['z0-n0', 'z0-n1']);
    await h.clock.advance(31_000); // the dead runner's lease expires
    const other = new Engine({ store, registry: h.registry, clock: h.clock, seed: 7 });
    const resumed = await other.resume('k');
    expect((await h.clock.run(resumed.done)).state).toBe('succeeded');
    expect(runs).toEqual(['z0-n0', 'z0-n1', 'a']);
  });

  it('a crash during the clean-up of a cancelled job resumes into the clean-up and ends cancelled', async () => {
    const store = new CrashingStore();
    const runs: string[] = [];
    const h = harness({ w: sleep(10), a: async () => void runs.push('a') }, { store });
    store.failWhen = (t) => t.steps?.some((s) => s.stepId === 'f0' && s.state === 'running') ?? false;
    const job = await h.engine.start(withFinally(planOf(inventory(1, 4), [spec('w')]), 'a'), { operator: 'o', workflowText: '', jobId: 'x' });
    await h.clock.advance(5_000);
    job.cancel('enough');
    expect((await h.clock.run(job.done)).state).toBe('interrupted');
    await h.clock.advance(31_000);
    const other = new Engine({ store, registry: h.registry, clock: h.clock, seed: 8 });
    const started: string[] = [];
    other.on('step', (e) => {
      if (e.state === 'running') started.push(e.stepId);
    });
    const resumed = await other.resume('x');
    expect((await h.clock.run(resumed.done)).state).toBe('cancelled');
    expect(started).toEqual(['f0']); // no node of the main body started again
    expect(runs).toEqual(['a']);
  });

  it('an interrupt during the clean-up leaves the job paused; the resume runs the rest', async () => {
    const h = harness({ w: async () => {}, a: sleep(60), b: async () => {} });
    const job = await h.engine.start(withFinally(planOf(inventory(1, 1), [spec('w')]), 'a', 'b'), { operator: 'o', workflowText: '', jobId: 'i' });
    await h.clock.advance(10_000);
    job.interrupt('ctrl-c twice');
    expect((await h.clock.run(job.done)).state).toBe('paused');
    const resumed = await h.engine.resume('i');
    expect((await h.clock.run(resumed.done)).state).toBe('succeeded');
    expect((await h.store.getSteps('i')).filter((s) => s.stepId.startsWith('f')).map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('cancelling a paused job that no runner holds runs the clean-up first; a retried failed job runs it again at its end', async () => {
    const ran: string[] = [];
    let fail = true;
    const h = harness({
      w: async () => {
        if (fail) throw new Error('boom');
      },
      a: async () => void ran.push('a'),
    });
    const job = await h.engine.start(withFinally(planOf(inventory(1, 1), [spec('w')]), 'a'), { operator: 'o', workflowText: '', jobId: 'r' });
    expect((await h.clock.run(job.done)).state).toBe('failed');
    expect(ran).toEqual(['a']);
    fail = false;
    const retried = await h.engine.resume('r', { retryFailed: true });
    expect((await h.clock.run(retried.done)).state).toBe('succeeded');
    expect(ran).toEqual(['a', 'a']);

    const h2 = harness({ w: sleep(10), a: async () => void ran.push('a2') });
    const j2 = await h2.engine.start(withFinally(planOf(inventory(1, 3), [spec('w')]), 'a'), { operator: 'o', workflowText: '', jobId: 'q' });
    await h2.clock.advance(5_000);
    j2.pause();
    expect((await h2.clock.run(j2.done)).state).toBe('paused');
    expect(await h2.clock.run(h2.engine.cancel('q'))).toBe('cancelled');
    expect((await h2.store.getJob('q')).state).toBe('cancelled');
    expect(ran).toEqual(['a', 'a', 'a2']);
  });
});
