// Issue 17 (pg-vs-dbos): a node's step k `succeeded` and its step k+1 `running` are one durable
// commit when step k+1 starts at once; whenever it does not, step k's success is committed on its
// own right away. These tests count and inspect the store's commits through a wrapper.
import { describe, expect, it } from 'vitest';
import { MemoryStore, VirtualClock, type Lease, type NodeExecutionContext, type StepRecord, type Transition } from '@scylla-cp/core';
import { harness, inventory, planOf, spec, type Behavior } from './engine-fixtures.js';

/** A MemoryStore that remembers every commit (its step states and event types, in order). */
class CountingStore extends MemoryStore {
  readonly commits: { steps: string[]; events: string[] }[] = [];
  reads = 0;
  override async getJob(jobId: string) {
    this.reads++;
    return super.getJob(jobId);
  }
  override async commit(lease: Lease, t: Transition): Promise<void> {
    await super.commit(lease, t);
    this.commits.push({ steps: (t.steps ?? []).map((s) => `${s.stepId}:${s.state}`), events: (t.events ?? []).map((e) => `${e.type}${e.stepId ? ` ${e.stepId}` : ''}`) });
  }
  /** The commits that record a step (not the job's own transitions). */
  stepCommits(): { steps: string[]; events: string[] }[] {
    return this.commits.filter((c) => c.steps.length > 0);
  }
}

const byId = (steps: StepRecord[]) => Object.fromEntries(steps.map((s) => [s.stepId, s.state]));

describe('step hand-off: one commit between two steps of a node', () => {
  it('a node of 3 steps takes 4 step commits (running; succeeded+running twice; succeeded), not 6', async () => {
    const store = new CountingStore();
    const ok: Behavior = async () => undefined;
    const h = harness({ a: ok, b: ok, c: ok }, { store });
    const plan = planOf(inventory(1, 1), [spec('a'), spec('b'), spec('c')]);
    const job = await h.engine.start(plan, { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await h.clock.run(job.done)).state).toBe('succeeded');
    expect(store.stepCommits()).toEqual([
      { steps: ['s0/z0-n0/t0:running'], events: ['step.started s0/z0-n0/t0'] },
      { steps: ['s0/z0-n0/t0:succeeded', 's0/z0-n0/t1:running'], events: ['step.succeeded s0/z0-n0/t0', 'step.started s0/z0-n0/t1'] },
      { steps: ['s0/z0-n0/t1:succeeded', 's0/z0-n0/t2:running'], events: ['step.succeeded s0/z0-n0/t1', 'step.started s0/z0-n0/t2'] },
      { steps: ['s0/z0-n0/t2:succeeded'], events: ['step.succeeded s0/z0-n0/t2'] },
    ]);
    // A reader of the log sees each success before the next start.
    const types = (await store.listEvents('j')).map((e) => `${e.type}${e.stepId ? ` ${e.stepId}` : ''}`);
    expect(types.filter((t) => t.startsWith('step.'))).toEqual([
      'step.started s0/z0-n0/t0',
      'step.succeeded s0/z0-n0/t0',
      'step.started s0/z0-n0/t1',
      'step.succeeded s0/z0-n0/t1',
      'step.started s0/z0-n0/t2',
      'step.succeeded s0/z0-n0/t2',
    ]);
  });

  it('when step k+1 executes, step k is already recorded succeeded and k+1 running (each execution follows its own start record)', async () => {
    const store = new CountingStore();
    const seen: Record<string, string>[] = [];
    const look: Behavior = async (ctx) => void seen.push({ at: (ctx as NodeExecutionContext).stepId, ...byId(await store.getSteps('j')) });
    const h = harness({ a: look, b: look }, { store });
    const job = await h.engine.start(planOf(inventory(1, 2), [spec('a'), spec('b')]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await h.clock.run(job.done)).state).toBe('succeeded');
    expect(seen).toEqual([
      { at: 's0/z0-n0/t0', 's0/z0-n0/t0': 'running' },
      { at: 's0/z0-n0/t1', 's0/z0-n0/t0': 'succeeded', 's0/z0-n0/t1': 'running' },
      // The last step of a node was committed on its own before the next node began.
      { at: 's0/z0-n1/t0', 's0/z0-n0/t0': 'succeeded', 's0/z0-n0/t1': 'succeeded', 's0/z0-n1/t0': 'running' },
      { at: 's0/z0-n1/t1', 's0/z0-n0/t0': 'succeeded', 's0/z0-n0/t1': 'succeeded', 's0/z0-n1/t0': 'succeeded', 's0/z0-n1/t1': 'running' },
    ]);
  });

  it('a pause requested while step k runs: step k is committed succeeded on its own, step k+1 never starts', async () => {
    const store = new CountingStore();
    const clock = new VirtualClock();
    const a: Behavior = async () => {
      await store.requestControl('j', 'pause', clock.now());
    };
    const h = harness({ a, b: async () => undefined }, { store, clock });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('a'), spec('b')]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await clock.run(job.done)).state).toBe('paused');
    expect(store.stepCommits()).toEqual([
      { steps: ['s0/z0-n0/t0:running'], events: ['step.started s0/z0-n0/t0'] },
      { steps: ['s0/z0-n0/t0:succeeded'], events: ['step.succeeded s0/z0-n0/t0'] },
    ]);
    expect(byId(await store.getSteps('j'))).toEqual({ 's0/z0-n0/t0': 'succeeded' });
  });

  it('a step of another node failing (abort_on_first_failure) while step k runs: step k is committed succeeded, step k+1 never starts', async () => {
    const store = new CountingStore();
    const clock = new VirtualClock();
    const behaviors: Record<string, Behavior> = {
      a: async (ctx) => {
        const node = (ctx as NodeExecutionContext).node.id;
        // z0-n0 is still running when z0-n1 fails (at 1 s).
        await ctx.clock.sleep(node === 'z0-n0' ? 2_000 : 1_000, ctx.signal);
        if (node === 'z0-n1') throw new Error('z0-n1 broke');
      },
      b: async () => undefined,
    };
    const h = harness(behaviors, { store, clock });
    const job = await h.engine.start(planOf(inventory(1, 2), [spec('a'), spec('b')], { limit: 2 }), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await clock.run(job.done)).state).toBe('failed');
    expect(byId(await store.getSteps('j'))).toEqual({ 's0/z0-n0/t0': 'succeeded', 's0/z0-n1/t0': 'failed' });
    const own = store.stepCommits().find((c) => c.steps.includes('s0/z0-n0/t0:succeeded'))!;
    expect(own).toEqual({ steps: ['s0/z0-n0/t0:succeeded'], events: ['step.succeeded s0/z0-n0/t0'] });
  });

  it('step k+1 that cannot be built (unknown task) fails after step k is committed succeeded on its own', async () => {
    const store = new CountingStore();
    const h = harness({ a: async () => undefined }, { store });
    const plan = planOf(inventory(1, 1), [spec('a'), { ...spec('x'), tag: 'no-such-task' }]);
    const job = await h.engine.start(plan, { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await h.clock.run(job.done)).state).toBe('failed');
    expect(store.stepCommits().map((c) => c.steps)).toEqual([['s0/z0-n0/t0:running'], ['s0/z0-n0/t0:succeeded'], ['s0/z0-n0/t1:failed']]);
  });

  it('a retried step k+1: the hand-off rides on its first attempt only; later attempts commit alone', async () => {
    const store = new CountingStore();
    let n = 0;
    const flaky: Behavior = async () => {
      if (n++ === 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const h = harness({ a: async () => undefined, b: flaky }, { store });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('a'), spec('b', { retries: 1 })]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await h.clock.run(job.done)).state).toBe('succeeded');
    expect(store.stepCommits().map((c) => c.events)).toEqual([
      ['step.started s0/z0-n0/t0'],
      ['step.succeeded s0/z0-n0/t0', 'step.started s0/z0-n0/t1'],
      ['step.retry s0/z0-n0/t1'],
      ['step.attempt s0/z0-n0/t1'],
      ['step.succeeded s0/z0-n0/t1'],
    ]);
  });

  it('listeners see step k succeeded before step k+1 running', async () => {
    const h = harness({ a: async () => undefined, b: async () => undefined });
    const seen: string[] = [];
    h.engine.on('step', (e) => seen.push(`${e.stepId}:${e.state}`));
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('a'), spec('b')]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    await h.clock.run(job.done);
    expect(seen).toEqual(['s0/z0-n0/t0:running', 's0/z0-n0/t0:succeeded', 's0/z0-n0/t1:running', 's0/z0-n0/t1:succeeded']);
  });

  it('the start commit checks for control requests: no store read per step (a node of 10 steps reads the job a constant few times)', async () => {
    const store = new CountingStore();
    const ok: Behavior = async () => undefined;
    const h = harness({ a: ok }, { store });
    const job = await h.engine.start(planOf(inventory(1, 1), Array.from({ length: 10 }, () => spec('a'))), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    const readsAtStart = store.reads;
    expect((await h.clock.run(job.done)).state).toBe('succeeded');
    // Before the plan's step and before the batch; none per step.
    expect(store.reads - readsAtStart).toBeLessThanOrEqual(3);
  });

  it('a store that does not check control on commit: the engine reads the job before each step, and a pause recorded during step k stops step k+1', async () => {
    class PlainStore extends CountingStore {
      override readonly commitChecksControl = false;
    }
    const store = new PlainStore();
    const clock = new VirtualClock();
    const h = harness({ a: async () => void (await store.requestControl('j', 'pause', clock.now())), b: async () => undefined }, { store, clock });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('a'), spec('b')]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await clock.run(job.done)).state).toBe('paused');
    expect(byId(await store.getSteps('j'))).toEqual({ 's0/z0-n0/t0': 'succeeded' });
    expect(store.stepCommits().map((c) => c.steps)).toEqual([['s0/z0-n0/t0:running'], ['s0/z0-n0/t0:succeeded']]);
  });

  it('a store without commitChecksControl: a transient read failure before step k+1 stops the run, but step k was already recorded succeeded and does not run again', async () => {
    class FlakyPlainStore extends CountingStore {
      override readonly commitChecksControl = false;
      failNextRead = false;
      override async getJob(jobId: string) {
        if (this.failNextRead) {
          this.failNextRead = false;
          throw Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
        }
        return super.getJob(jobId);
      }
    }
    const store = new FlakyPlainStore();
    const runs: string[] = [];
    let first = true;
    const behaviors: Record<string, Behavior> = {
      a: async (ctx) => {
        runs.push(ctx.stepId);
        if (first) store.failNextRead = true; // the read before t1 fails once
        first = false;
      },
      b: async (ctx) => void runs.push(ctx.stepId),
    };
    const clock1 = new VirtualClock();
    const h1 = harness(behaviors, { store, clock: clock1, leaseTtlSeconds: 30 });
    const job = await h1.engine.start(planOf(inventory(1, 1), [spec('a'), spec('b')]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await clock1.run(job.done)).state).toBe('interrupted');
    expect(byId(await store.getSteps('j'))).toEqual({ 's0/z0-n0/t0': 'succeeded' });
    const clock2 = new VirtualClock({ startMs: clock1.now() + 60_000 });
    const h2 = harness(behaviors, { store, clock: clock2, holder: 'runner-2' });
    const resumed = await h2.engine.resume('j');
    expect((await clock2.run(resumed.done)).state).toBe('succeeded');
    expect(runs).toEqual(['s0/z0-n0/t0', 's0/z0-n0/t1']);
  });

  it('the lease taken over while step k ran: the hand-off is refused whole, step k stays running for the new holder, listeners never see its success', async () => {
    const store = new CountingStore();
    const clock = new VirtualClock();
    const seen: string[] = [];
    const a: Behavior = async () => {
      await store.acquireLease('j', 'thief', 30_000, clock.now(), { takeOverFrom: 'runner-1' });
    };
    const h = harness({ a, b: async () => undefined }, { store, clock, holder: 'runner-1' });
    h.engine.on('step', (e) => seen.push(`${e.stepId}:${e.state}`));
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('a'), spec('b')]), { operator: 'alice', workflowText: 'wf', jobId: 'j' });
    expect((await clock.run(job.done)).state).toBe('interrupted');
    expect(byId(await store.getSteps('j'))).toEqual({ 's0/z0-n0/t0': 'running' });
    expect(seen).toEqual(['s0/z0-n0/t0:running']);
  });
});
