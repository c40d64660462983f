import { describe, expect, it } from 'vitest';
import {
  ClusterLockedError,
  LeaseHeldError,
  MemoryStore,
  Prng,
  UnrecoverableError,
  VirtualClock,
  computeResumeState,
  loadResumeState,
  nodeStepId,
  toResumeRecords,
  type JobPlan,
  type ResumeState,
  type NodeExecutionContext,
  type StepRecord,
} from '@scylla-cp/core';
import { T0, harness, inventory, planOf, spec, type Behavior } from './engine-fixtures.js';

const nodeOf = (ctx: unknown) => (ctx as NodeExecutionContext).node.id;

describe('resume after a crash', () => {
  it('a fresh engine over the same store resumes after the lease TTL: succeeded steps are skipped, the running one is attempted again', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    let crashed = false;
    const behaviors: Record<string, Behavior> = {
      a: async (ctx) => void calls.push(`${ctx.stepId}#${ctx.attempt}`),
      b: async (ctx) => {
        calls.push(`${ctx.stepId}#${ctx.attempt}`);
        if (nodeOf(ctx) === 'z0-n1' && !crashed) {
          crashed = true;
          await new Promise(() => {}); // the laptop dies here
        }
        await ctx.clock.sleep(2_000, ctx.signal);
      },
    };
    const plan = planOf(inventory(2, 2), [spec('a'), spec('b'), spec('a')], { limit: 1, after: [spec('a')] });

    // Runner 1 on its own clock: dropped mid-job, its timers never fire again.
    const clock1 = new VirtualClock();
    const h1 = harness(behaviors, { store, clock: clock1, leaseTtlSeconds: 30, heartbeatSeconds: 10 });
    const job1 = await h1.engine.start(plan, { operator: 'alice', workflowText: 'wf', jobId: 'crash' });
    await clock1.advance(60_000);
    expect(calls).toEqual(['s0/z0-n0/t0#1', 's0/z0-n0/t1#1', 's0/z0-n0/t2#1', 's0/z0-n1/t0#1', 's0/z0-n1/t1#1']);
    expect((await store.getJob('crash')).state).toBe('running');
    void job1; // never settles: the process "died"

    // Runner 2 starts 10 s after the last heartbeat (lease still valid): refused.
    const lastRenewal = T0 + 60_000;
    const early = harness(behaviors, { store, clock: new VirtualClock({ startMs: lastRenewal + 10_000 }), holder: 'runner-2' });
    await expect(early.engine.resume('crash')).rejects.toBeInstanceOf(LeaseHeldError);

    // After the TTL it takes over with a new fencing token.
    const clock2 = new VirtualClock({ startMs: lastRenewal + 30_000 });
    const h2 = harness(behaviors, { store, clock: clock2, holder: 'runner-2' });
    const jobEvents: string[] = [];
    h2.engine.on('job', (e) => jobEvents.push(`${e.state}:${e.reason}`));
    const job2 = await h2.engine.resume('crash');
    const outcome = await clock2.run(job2.done);
    expect(outcome.state).toBe('succeeded');
    expect(jobEvents).toEqual(['running:resumed', 'succeeded:finished']);
    expect(calls.slice(5)).toEqual([
      's0/z0-n1/t1#1', // interrupted: attempted again under the same number (it never concluded)
      's0/z0-n1/t2#1',
      's0/z1-n0/t0#1',
      's0/z1-n0/t1#1',
      's0/z1-n0/t2#1',
      's0/z1-n1/t0#1',
      's0/z1-n1/t1#1',
      's0/z1-n1/t2#1',
      's1#1',
    ]);
    const steps = await store.getSteps('crash');
    expect(steps).toHaveLength(13);
    expect(steps.every((s) => s.state === 'succeeded')).toBe(true);
    expect(steps.find((s) => s.stepId === 's0/z0-n1/t1')!.attempts).toBe(1);
    const job = await store.getJob('crash');
    expect(job).toMatchObject({ state: 'succeeded', fencingToken: 2 });
    const types = (await store.listEvents('crash')).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('job.'))).toEqual(['job.started', 'job.resumed', 'job.succeeded']);
  });

  it('retryFailed attempts failed steps again; without it a failed job is not resumed', async () => {
    let fail = true;
    const calls: string[] = [];
    const h = harness({
      w: async (ctx) => {
        calls.push(`${ctx.stepId}#${ctx.attempt}`);
        if (nodeOf(ctx) === 'z0-n1' && fail) throw new UnrecoverableError('needs a human');
      },
    });
    const plan = planOf(inventory(1, 3), [spec('w')], { limit: 1 });
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'f' });
    expect((await h.clock.run(job.done)).state).toBe('failed');
    expect(calls).toEqual(['s0/z0-n0/t0#1', 's0/z0-n1/t0#1']);

    await expect(h.engine.resume('f')).rejects.toMatchObject({ code: 'JOB_FAILED' });

    // The failed job keeps the cluster lock: another job needs allowConcurrent; while that one
    // runs, moving the failed job back to running is refused by the store.
    await expect(h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'p', workflowText: '' })).rejects.toBeInstanceOf(ClusterLockedError);
    const other = await h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'p', workflowText: '', jobId: 'other', allowConcurrent: true });
    await expect(h.engine.resume('f', { retryFailed: true })).rejects.toBeInstanceOf(ClusterLockedError);
    await h.clock.run(other.done);
    calls.length = 0;

    fail = false;
    const again = await h.engine.resume('f', { retryFailed: true });
    const outcome = await h.clock.run(again.done);
    expect(outcome.state).toBe('succeeded');
    // `retry` gives the failed step a fresh budget: its attempts count from 1 again
    expect(calls).toEqual(['s0/z0-n1/t0#1', 's0/z0-n2/t0#1']);
    expect((await h.store.getJob('f')).error).toBeUndefined();
  });

  it('without retryFailed, a step that failed before the crash stays failed while the others finish', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    let first = true;
    const behaviors: Record<string, Behavior> = {
      w: async (ctx) => {
        calls.push(ctx.stepId);
        if (nodeOf(ctx) === 'z0-n0') throw new UnrecoverableError('broken');
        if (first && nodeOf(ctx) === 'z0-n1') {
          first = false;
          await new Promise(() => {});
        }
      },
    };
    const plan = planOf(inventory(1, 3), [spec('w')], { limit: 1, abortOnFirstFailure: false });
    const h1 = harness(behaviors, { store });
    await h1.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'k' });
    await h1.clock.advance(1_000);
    const h2 = harness(behaviors, { store, clock: new VirtualClock({ startMs: T0 + 120_000 }) });
    const job = await h2.engine.resume('k');
    const outcome = await h2.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedNodes).toEqual(['z0-n0']);
    expect(calls).toEqual(['s0/z0-n0/t0', 's0/z0-n1/t0', 's0/z0-n1/t0', 's0/z0-n2/t0']);
  });
});

describe('computeResumeState', () => {
  it('classifies steps and finds the next one in plan order', () => {
    const plan = planOf(inventory(2, 2), [spec('a'), spec('b')], { before: [spec('x')] });
    const rec = (stepId: string, state: StepRecord['state']): StepRecord => ({ jobId: 'j', stepId, state, attempts: 1 });
    const steps = [
      rec('s0', 'succeeded'),
      rec('s1/z0-n0/t0', 'succeeded'),
      rec('s1/z0-n0/t1', 'succeeded'),
      rec('s1/z0-n1/t0', 'running'),
      rec('s1/z1-n0/t0', 'failed'),
      rec('s1/z1-n1/t0', 'skipped'),
      rec('not-in-plan', 'succeeded'),
    ];
    const rs = computeResumeState(plan, steps);
    expect(rs).toMatchObject({
      totalSteps: 9,
      completedSteps: 4,
      remainingSteps: 5,
      interruptedStepIds: ['s1/z0-n1/t0'],
      failedStepIds: ['s1/z1-n0/t0'],
      retriedStepIds: [],
      nextStepId: 's1/z0-n1/t0',
    });
    const retry = computeResumeState(plan, steps, { retryFailed: true });
    expect(retry.failedStepIds).toEqual([]);
    expect(retry.retriedStepIds).toEqual(['s1/z1-n0/t0']);
    expect(rs.isCompleted('s0')).toBe(true);
    expect(rs.isCompleted('s1/z0-n0/t1')).toBe(true);
    expect(rs.isCompleted('s1/z0-n1/t0')).toBe(false);
    expect(rs.isCompleted('not-in-plan')).toBe(false);
    expect(rs.isNodeCompleted('s1', 'z0-n0')).toBe(true);
    expect(rs.isNodeCompleted('s1', 'z1-n1')).toBe(false);
    expect(rs.openRecord('s1/z0-n1/t0')?.state).toBe('running');
    expect(rs.openRecord('s1/z0-n0/t0')).toBeUndefined();
    expect(retry.openRecord('s1/z1-n0/t0')?.state).toBe('pending');
    expect(rs.openRecord('s1/z1-n0/t0')?.state).toBe('failed');
    const first = computeResumeState(plan, [rec('s0', 'succeeded')]);
    expect(first.nextStepId).toBe('s1/z0-n0/t0');
    expect(computeResumeState(plan, []).nextStepId).toBe('s0');
  });

  it('gives the same answer from full records and from resume records as a naive model does (seeded)', () => {
    const seed = 7_211;
    console.log(`SEED=${seed}`);
    const prng = new Prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[prng.int(0, xs.length - 1)]!;
    const states: StepRecord['state'][] = ['pending', 'running', 'succeeded', 'failed', 'skipped'];
    // Node ids that look like parts of step ids, to catch parsing shortcuts.
    const awkward = ['n', 'n/t1', 'n/t', 't', 'n1', 'n/t1/t2', 'x/ty', '0'];
    for (let round = 0; round < 300; round++) {
      const inv = inventory(1, 0);
      const nodeIds = awkward.filter(() => prng.next() < 0.7);
      const nodes = nodeIds.map((id) => ({ ...inventory(1, 1).nodes[0]!, id }));
      const tasks = Array.from({ length: prng.int(1, 12) }, (_, i) => spec(`t${i}`));
      const plan: JobPlan = planOf({ ...inv, nodes }, tasks, { before: prng.next() < 0.5 ? [spec('x')] : [] });
      const wf = plan.steps.find((st) => st.kind === 'node-workflow')!;
      const planIds: string[] = [];
      for (const st of plan.steps) {
        if (st.kind === 'cluster-task') planIds.push(st.id);
        else for (const nid of nodeIds) for (let t = 0; t < st.tasks.length; t++) planIds.push(nodeStepId(st.id, nid, t));
      }
      const candidates = [...planIds, 'zz', `${wf.id}/nope/t0`, `${wf.id}/n/t99`, `${wf.id}/n/tx`, 's9/n/t0', `${wf.id}/n/t01`, `${wf.id}/n/t-1`];
      const records = new Map<string, StepRecord>();
      for (const id of candidates) {
        if (prng.next() < 0.4) continue;
        const r: StepRecord = { jobId: 'j', stepId: id, state: pick(states), attempts: prng.int(0, 3) };
        if (id.includes('/') && prng.next() < 0.8) r.nodeId = prng.next() < 0.9 ? id.slice(id.indexOf('/') + 1, id.lastIndexOf('/t')) : pick(awkward);
        records.set(id, r);
      }
      const all = [...records.values()];
      for (let i = all.length - 1; i > 0; i--) {
        const j = prng.int(0, i);
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      // The naive model: plain set membership over the plan's ids.
      const inPlan = new Set(planIds);
      const done = (r: StepRecord | undefined) => r !== undefined && (r.state === 'succeeded' || r.state === 'skipped');
      const open = all.filter((r) => inPlan.has(r.stepId) && !done(r));
      const expected = {
        totalSteps: planIds.length,
        completedSteps: planIds.filter((id) => done(records.get(id))).length,
        interruptedStepIds: open.filter((r) => r.state === 'running').map((r) => r.stepId).sort(),
        failedStepIds: open.filter((r) => r.state === 'failed').map((r) => r.stepId).sort(),
        nextStepId: planIds.find((id) => !done(records.get(id))),
      };
      const sortedByKey = toResumeRecords([...all].sort((a, b) => (a.stepId < b.stepId ? -1 : 1)));
      for (const rs of [computeResumeState(plan, all), computeResumeState(plan, sortedByKey)] as ResumeState[]) {
        const ctx = `seed ${seed} round ${round}`;
        expect({
          totalSteps: rs.totalSteps,
          completedSteps: rs.completedSteps,
          interruptedStepIds: [...rs.interruptedStepIds].sort(),
          failedStepIds: [...rs.failedStepIds].sort(),
          nextStepId: rs.nextStepId,
        }, ctx).toEqual(expected);
        for (const id of candidates) {
          expect(rs.isCompleted(id), `${ctx} ${id}`).toBe(inPlan.has(id) && done(records.get(id)));
          expect(rs.openRecord(id)?.stepId, `${ctx} ${id}`).toBe(inPlan.has(id) && records.has(id) && !done(records.get(id)) ? id : undefined);
        }
        for (const nid of nodeIds) {
          expect(rs.isNodeCompleted(wf.id, nid), ctx).toBe(tasks.every((_, t) => done(records.get(nodeStepId(wf.id, nid, t)))));
        }
      }
    }
  });

  it('loadResumeState reads a store with or without getResumeRecords alike', async () => {
    const plan = planOf(inventory(1, 3), [spec('a'), spec('b')]);
    const store = new MemoryStore();
    await store.createJob({ id: 'j', cluster: 'c', operator: 'o', workflowName: 'w', workflowText: 'x', plan, at: 0 });
    const lease = await store.acquireLease('j', 'h', 60_000, 0);
    await store.commit(lease, {
      at: 1,
      steps: [
        { stepId: 's0/z0-n0/t0', nodeId: 'z0-n0', state: 'succeeded', attempts: 1 },
        { stepId: 's0/z0-n0/t1', nodeId: 'z0-n0', state: 'running', attempts: 2 },
        { stepId: 's0/z0-n1/t0', nodeId: 'z0-n1', state: 'failed', attempts: 1, lastError: { name: 'E', message: 'boom', classification: 'unrecoverable' } },
      ],
    });
    // MemoryStore offers getResumeRecords; the same store with it hidden is a store without it.
    let fullReads = 0;
    const withoutRecords = Object.assign(Object.create(store) as MemoryStore, {
      getResumeRecords: undefined,
      getSteps: async (jobId: string) => {
        fullReads++;
        return store.getSteps(jobId);
      },
    });
    for (const s of [store, withoutRecords]) {
      const rs = await loadResumeState(s, 'j', plan, { retryFailed: true });
      expect(rs).toMatchObject({ completedSteps: 1, remainingSteps: 5, interruptedStepIds: ['s0/z0-n0/t1'], retriedStepIds: ['s0/z0-n1/t0'], nextStepId: 's0/z0-n0/t1' });
      expect(rs.openRecord('s0/z0-n1/t0')).toMatchObject({ state: 'pending', attempts: 0, lastError: { message: 'boom' } });
    }
    expect(fullReads).toBe(1);
  });

  it('handles 100,000 step records', () => {
    const inv = inventory(4, 2_500);
    const plan = planOf(inv, [spec('a'), spec('b'), spec('c'), spec('d'), spec('e'), spec('f'), spec('g'), spec('h'), spec('i'), spec('j')]);
    const steps: StepRecord[] = [];
    for (const n of inv.nodes) for (let t = 0; t < 10; t++) steps.push({ jobId: 'j', stepId: `s0/${n.id}/t${t}`, state: n.id === 'z3-n2499' && t === 9 ? 'running' : 'succeeded', attempts: 1 });
    const rs = computeResumeState(plan, steps);
    expect(rs.totalSteps).toBe(100_000);
    expect(rs.completedSteps).toBe(99_999);
    expect(rs.nextStepId).toBe('s0/z3-n2499/t9');
  });
});

it('resuming a job whose steps all succeeded before the crash runs nothing and ends succeeded', async () => {
  const store = new MemoryStore();
  let calls = 0;
  const plan = planOf(inventory(1, 2), [spec('w')]);
  await store.createJob({ id: 'done', cluster: plan.cluster, operator: 'o', workflowName: 'w', workflowText: '', plan, at: T0 });
  const lease = await store.acquireLease('done', 'dead-runner', 30_000, T0);
  await store.commit(lease, {
    at: T0,
    job: { state: 'running' },
    steps: ['s0/z0-n0/t0', 's0/z0-n1/t0'].map((stepId) => ({ stepId, state: 'succeeded' as const, attempts: 1 })),
  });
  const h2 = harness({ w: async () => void calls++ }, { store, clock: new VirtualClock({ startMs: T0 + 31_000 }) });
  const job = await h2.engine.resume('done');
  const outcome = await h2.clock.run(job.done);
  expect(outcome).toMatchObject({ state: 'succeeded', stepsSucceeded: 0 });
  expect(calls).toBe(0);
});

it('a pause request recorded while no runner ran the job is not lost: the resume applies it before any step; a pending cancel too', async () => {
  let calls = 0;
  const h = harness({ w: async (ctx) => { calls++; await ctx.clock.sleep(10_000, ctx.signal); } });
  const job = await h.engine.start(planOf(inventory(1, 3), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'pc' });
  await h.clock.advance(1_000);
  job.pause();
  expect((await h.clock.run(job.done)).state).toBe('paused');
  expect(calls).toBe(1);

  // e.g. `scylla-cp pause` while the runner was dead
  await h.store.requestControl('pc', 'pause', h.clock.now());
  const applied = await h.engine.resume('pc');
  expect((await h.clock.run(applied.done)).state).toBe('paused');
  expect(calls).toBe(1); // no step started: the pause was applied
  expect((await h.store.getJob('pc')).control).toBeUndefined();

  const resumed = await h.engine.resume('pc');
  await h.clock.advance(1_000);
  resumed.pause();
  expect((await h.clock.run(resumed.done)).state).toBe('paused');
  expect(calls).toBe(2);

  await h.store.requestControl('pc', 'cancel', h.clock.now());
  const cancelled = await h.engine.resume('pc');
  expect((await h.clock.run(cancelled.done)).state).toBe('cancelled');
  expect(calls).toBe(2);
  expect((await h.store.getJob('pc')).control).toBeUndefined();
});
