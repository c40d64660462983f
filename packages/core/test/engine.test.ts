import { describe, expect, it } from 'vitest';
import {
  ClusterLockedError,
  ConditionCheck,
  Engine,
  MemoryStore,
  RecoverableError,
  ServiceRegistry,
  StaleFencingTokenError,
  StoreUnavailableError,
  UnrecoverableError,
  defineService,
  type JobEvent,
  type JobStore,
  type Lease,
  type NodeCondition,
  type NodeExecutionContext,
  type StepEvent,
  type Transition,
} from '@scylla-cp/core';
import { T0, harness, inventory, planOf, secs, spec, type Behavior } from './engine-fixtures.js';

const sleep = (s: number): Behavior => (ctx) => ctx.clock.sleep(s * 1000, ctx.signal);

describe('Engine: a job from start to end', () => {
  it('runs cluster steps in order around the node workflow and records every step', async () => {
    const order: string[] = [];
    const h = harness({
      pre: async () => void order.push('pre'),
      a: async (ctx) => void order.push(`a:${(ctx as NodeExecutionContext).node.id}`),
      b: async (ctx) => {
        await ctx.clock.sleep(1000, ctx.signal);
        order.push(`b:${(ctx as NodeExecutionContext).node.id}`);
        return { restarted: (ctx as NodeExecutionContext).node.id };
      },
      post: async () => void order.push('post'),
    });
    const plan = planOf(inventory(2, 2), [spec('a'), spec('b')], { before: [spec('pre')], after: [spec('post')], limit: 1 });
    const jobEvents: JobEvent[] = [];
    h.engine.on('job', (e) => jobEvents.push(e));
    const job = await h.engine.start(plan, { operator: 'alice', workflowText: 'name: test\n', jobId: 'job-1' });
    const outcome = await h.clock.run(job.done);

    expect(outcome).toMatchObject({ jobId: 'job-1', state: 'succeeded', failedNodes: [], stepsSucceeded: 10 });
    expect(order).toEqual(['pre', 'a:z0-n0', 'b:z0-n0', 'a:z0-n1', 'b:z0-n1', 'a:z1-n0', 'b:z1-n0', 'a:z1-n1', 'b:z1-n1', 'post']);
    expect(secs(h.clock)).toBe(4);

    const stored = await h.store.getJob('job-1');
    expect(stored).toMatchObject({ state: 'succeeded', operator: 'alice', workflowText: 'name: test\n', fencingToken: 1 });
    const steps = await h.store.getSteps('job-1');
    expect(steps).toHaveLength(10);
    expect(steps.every((s) => s.state === 'succeeded' && s.attempts === 1)).toBe(true);
    expect(steps.find((s) => s.stepId === 's1/z1-n0/t1')).toMatchObject({ nodeId: 'z1-n0', result: { restarted: 'z1-n0' }, startedAt: T0 + 2000, finishedAt: T0 + 3000 });
    const events = await h.store.listEvents('job-1');
    expect(events[0]!.type).toBe('job.started');
    expect(events.at(-1)!.type).toBe('job.succeeded');
    expect(events.filter((e) => e.type === 'step.started')).toHaveLength(10);
    expect(jobEvents.map((e) => e.state)).toEqual(['running', 'succeeded']);
    // the lease was released: another runner could take it at once
    await expect(h.store.acquireLease('job-1', 'other', 1000, T0 + 4000)).resolves.toMatchObject({ token: 2 });
  });

  it('records each transition before moving on (a task sees its own step as running, the previous one succeeded)', async () => {
    const seen: string[] = [];
    let store!: JobStore;
    const check: Behavior = async (ctx) => {
      const steps = await store.getSteps(ctx.job.id);
      const mine = steps.find((s) => s.stepId === ctx.stepId)!;
      seen.push(`${ctx.stepId}:${mine.state}:${mine.attempts}`);
      const done = steps.filter((s) => s.state === 'succeeded').map((s) => s.stepId).sort();
      seen.push(`done:${done.join(',')}`);
    };
    const h = harness({ check });
    store = h.store;
    const plan = planOf(inventory(1, 1), [spec('check'), spec('check')]);
    const job = await h.engine.start(plan, { operator: 'op', workflowText: '', jobId: 'j' });
    await h.clock.run(job.done);
    expect(seen).toEqual(['s0/z0-n0/t0:running:1', 'done:', 's0/z0-n0/t1:running:1', 'done:s0/z0-n0/t0']);
  });

  it('gives tasks a full execution context with services bound to the node', async () => {
    const Who = defineService<{ whoami(): string }>('test-who', 'who am I');
    const services = new ServiceRegistry().provide({ key: Who, create: (scope) => ({ whoami: () => `${scope.node?.id ?? 'cluster'}@${scope.job.id}` }) });
    const seen: unknown[] = [];
    const h = harness(
      {
        look: async (ctx) => {
          const n = ctx as NodeExecutionContext;
          seen.push({ who: ctx.services.get(Who).whoami(), node: n.node?.zone, op: ctx.job.operator, vars: ctx.job.variables, wf: ctx.job.workflowName, attempt: ctx.attempt, inv: ctx.inventory.name, aborted: ctx.signal.aborted });
        },
      },
      { services },
    );
    const plan = planOf(inventory(1, 1), [spec('look')], { before: [spec('look')] });
    const job = await h.engine.start(plan, { operator: 'bob', workflowText: '', jobId: 'ctx-job' });
    await h.clock.run(job.done);
    expect(seen).toEqual([
      { who: 'cluster@ctx-job', node: undefined, op: 'bob', vars: { who: 'test' }, wf: 'test-workflow', attempt: 1, inv: 'test-cluster', aborted: false },
      { who: 'z0-n0@ctx-job', node: 'zone-0', op: 'bob', vars: { who: 'test' }, wf: 'test-workflow', attempt: 1, inv: 'test-cluster', aborted: false },
    ]);
  });

  it('derives job ids from the clock and the seed, reproducibly', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const h = harness({ x: async () => {} }, { seed: 7 });
      const job = await h.engine.start(planOf(inventory(1, 1), [spec('x')]), { operator: 'o', workflowText: '' });
      await h.clock.run(job.done);
      ids.push(job.jobId);
    }
    expect(ids[0]).toMatch(/^job-20260101-000000-[0-9a-f]{8}$/);
    expect(ids[1]).toBe(ids[0]);
    const other = harness({ x: async () => {} }, { seed: 8 });
    expect(other.engine.newJobId()).not.toBe(ids[0]);
  });

  it('refuses a second job on a locked cluster unless allowConcurrent', async () => {
    const h = harness({ slow: sleep(100) });
    const plan = planOf(inventory(1, 1), [spec('slow')]);
    const first = await h.engine.start(plan, { operator: 'alice', workflowText: '', jobId: 'first' });
    await expect(h.engine.start(plan, { operator: 'bob', workflowText: '', jobId: 'second' })).rejects.toBeInstanceOf(ClusterLockedError);
    const third = await h.engine.start(plan, { operator: 'bob', workflowText: '', jobId: 'third', allowConcurrent: true });
    const [a, b] = await h.clock.run(Promise.all([first.done, third.done]));
    expect([a.state, b.state]).toEqual(['succeeded', 'succeeded']);
  });

  it('emits step, attempt, condition-poll and log events', async () => {
    let polls = 0;
    const ready: NodeCondition = { name: () => 'ready', check: async () => ({ ok: ++polls >= 2, detail: `poll ${polls}` }) };
    const h = harness(
      { talk: async (ctx) => ctx.logger.info('hello', { k: 1 }) },
      { preconditions: { ready: () => [new ConditionCheck(ready, { pollIntervalSeconds: 3 })] } },
    );
    const seen: string[] = [];
    h.engine.on('step', (e) => seen.push(`step:${e.stepId}:${e.state}`));
    h.engine.on('attempt', (e) => seen.push(`attempt:${e.stepId}:${e.attempt}`));
    h.engine.on('condition-poll', (e) => seen.push(`poll:${e.stepId}:${e.nodeId}:${e.condition}:${e.ok}:${e.at - T0}`));
    h.engine.on('log', (e) => {
      if (e.stepId) seen.push(`log:${e.stepId}:${e.nodeId}:${e.message}:${JSON.stringify(e.fields)}`);
    });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('talk', { pre: 'ready' })]), { operator: 'o', workflowText: '', jobId: 'ev' });
    await h.clock.run(job.done);
    expect(seen).toEqual([
      'step:s0/z0-n0/t0:running',
      'attempt:s0/z0-n0/t0:1',
      'poll:s0/z0-n0/t0:z0-n0:ready:false:0',
      'poll:s0/z0-n0/t0:z0-n0:ready:true:3000',
      'log:s0/z0-n0/t0:z0-n0:hello:{"k":1}',
      'step:s0/z0-n0/t0:succeeded',
    ]);
  });
});

describe('Engine: failure handling', () => {
  it('abort_on_first_failure: no new node starts, in-flight nodes finish their current step, job fails with the cause', async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const node = (ctx: unknown) => (ctx as NodeExecutionContext).node.id;
    const h = harness({
      work: async (ctx) => {
        const id = node(ctx);
        started.push(`${id}:${ctx.stepId.slice(-2)}`);
        if (id === 'z0-n1') {
          await ctx.clock.sleep(5_000, ctx.signal);
          throw new UnrecoverableError('disk on fire');
        }
        await ctx.clock.sleep(id === 'z0-n0' ? 8_000 : 1_000, ctx.signal);
        finished.push(`${id}:${ctx.stepId.slice(-2)}`);
      },
    });
    const plan = planOf(inventory(2, 4), [spec('work'), spec('work')], { limit: 2, abortOnFirstFailure: true, after: [spec('work')] });
    const failedEvents: StepEvent[] = [];
    h.engine.on('step', (e) => e.state === 'failed' && failedEvents.push(e));
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'halt' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedNodes).toEqual(['z0-n1']);
    expect(outcome.error).toMatchObject({ code: 'JOB_FAILED', cause: { name: 'UnrecoverableError', message: 'disk on fire' } });
    // n0 was in flight (its t0 runs 0..8s): it finished t0 but did not start t1; nothing else started.
    expect(started).toEqual(['z0-n0:t0', 'z0-n1:t0']);
    expect(finished).toEqual(['z0-n0:t0']);
    expect(secs(h.clock)).toBe(8);
    expect(failedEvents.map((e) => e.stepId)).toEqual(['s0/z0-n1/t0']);
    const job2 = await h.store.getJob('halt');
    expect(job2.state).toBe('failed');
    expect(job2.error).toMatchObject({ code: 'JOB_FAILED', details: { failedNodes: ['z0-n1'] } });
  });

  it('without abort_on_first_failure the other nodes continue and every failed node is listed; later steps do not run', async () => {
    const ran: string[] = [];
    const h = harness({
      work: async (ctx) => {
        const id = (ctx as NodeExecutionContext).node.id;
        if (id === 'z0-n1' || id === 'z1-n0') throw new UnrecoverableError(`bad ${id}`);
        ran.push(id);
      },
      after: async () => void ran.push('after'),
    });
    const plan = planOf(inventory(2, 3), [spec('work'), spec('work')], { limit: 1, abortOnFirstFailure: false, after: [spec('after')] });
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'cont' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedNodes).toEqual(['z0-n1', 'z1-n0']);
    expect(outcome.failedSteps.map((s) => s.stepId)).toEqual(['s0/z0-n1/t0', 's0/z1-n0/t0']);
    expect(ran).toEqual(['z0-n0', 'z0-n0', 'z0-n2', 'z0-n2', 'z1-n1', 'z1-n1', 'z1-n2', 'z1-n2']);
    expect((await h.store.getJob('cont')).error?.details).toMatchObject({ failedNodes: ['z0-n1', 'z1-n0'] });
  });

  it('an unknown thrown error is unrecoverable and is not retried', async () => {
    let calls = 0;
    const h = harness({ bug: async () => { calls++; throw new TypeError('undefined is not a function'); } });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('bug', { retries: 5 })]), { operator: 'o', workflowText: '', jobId: 'j' });
    const outcome = await h.clock.run(job.done);
    expect(calls).toBe(1);
    expect(outcome.failedSteps[0]!.error).toMatchObject({ name: 'TypeError', classification: 'unrecoverable' });
  });

  it('invalid task parameters fail the step without running anything', async () => {
    const h = harness({ x: async () => {} });
    const plan = planOf(inventory(1, 1), [{ ...spec('x'), params: { name: 'x', bogus: 1 } }]);
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'j' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedSteps[0]!.error).toMatchObject({ name: 'InvalidInputError', code: 'INVALID_PARAMS' });
  });

  it('a precondition that times out fails the attempt with ConditionTimeoutError', async () => {
    const never: NodeCondition = { name: () => 'never', check: async () => ({ ok: false, detail: 'still 3 pending' }) };
    let executed = false;
    const h = harness({ x: async () => void (executed = true) }, { preconditions: { never: () => [new ConditionCheck(never, { pollIntervalSeconds: 10, timeoutSeconds: 30 })] } });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('x', { pre: 'never', retries: 3 })]), { operator: 'o', workflowText: '', jobId: 'j' });
    const outcome = await h.clock.run(job.done);
    expect(executed).toBe(false);
    expect(outcome.failedSteps[0]!.error).toMatchObject({ name: 'ConditionTimeoutError', details: { lastDetail: 'still 3 pending', polls: 4 } });
    expect(secs(h.clock)).toBe(30); // unrecoverable by default: not retried
  });
});

describe('Engine: pause and abort', () => {
  it('pause: no new steps, in-flight steps finish, job paused, and a resume completes it', async () => {
    const runs: string[] = [];
    const h = harness({ w: async (ctx) => { runs.push(ctx.stepId); await ctx.clock.sleep(10_000, ctx.signal); } });
    const plan = planOf(inventory(1, 4), [spec('w'), spec('w')], { limit: 2 });
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'p' });
    await h.clock.advance(5_000);
    job.pause();
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('paused');
    expect(secs(h.clock)).toBe(10);
    expect(runs).toEqual(['s0/z0-n0/t0', 's0/z0-n1/t0']);
    expect((await h.store.getJob('p')).state).toBe('paused');

    const resumed = await h.engine.resume('p');
    const out2 = await h.clock.run(resumed.done);
    expect(out2.state).toBe('succeeded');
    expect(runs).toHaveLength(8);
    expect(new Set(runs).size).toBe(8);
  });

  it('abort: in-flight tasks see their AbortSignal and the job ends cancelled', async () => {
    const reasons: string[] = [];
    const h = harness({
      w: async (ctx) => {
        try {
          await ctx.clock.sleep(60_000, ctx.signal);
        } catch (e) {
          reasons.push(String((e as Error).message));
          throw e;
        }
      },
    });
    const job = await h.engine.start(planOf(inventory(1, 3), [spec('w', { retries: 3 })], { limit: 2 }), { operator: 'o', workflowText: '', jobId: 'a' });
    await h.clock.advance(1_000);
    job.abort('operator pressed Ctrl-C twice');
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('cancelled');
    expect(outcome.error?.message).toContain('operator pressed Ctrl-C twice');
    expect(reasons).toHaveLength(2);
    expect(secs(h.clock)).toBe(1);
    expect((await h.store.getJob('a')).state).toBe('cancelled');
    await expect(h.engine.resume('a')).rejects.toMatchObject({ code: 'JOB_FINISHED' });
  });

  it('acts on pause and cancel requested through the store (another process) within the control poll; cancel lets in-flight steps finish', async () => {
    const h = harness({ w: sleep(30) }, { heartbeatSeconds: 10, leaseTtlSeconds: 30 });
    const job = await h.engine.start(planOf(inventory(1, 5), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'c' });
    await h.clock.advance(12_000);
    await h.store.requestControl('c', 'pause', h.clock.now());
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('paused');
    expect(secs(h.clock)).toBe(30); // node 0 finished at 30 s; no other node started
    const rec = await h.store.getJob('c');
    expect(rec.control).toBeUndefined();

    const again = await h.engine.resume('c');
    await h.clock.advance(5_000);
    await h.store.requestControl('c', 'cancel', h.clock.now());
    const out2 = await h.clock.run(again.done);
    expect(out2.state).toBe('cancelled');
    expect(secs(h.clock)).toBe(60); // graceful: the in-flight node 1 finished (30 s after the resume), nothing else started
    const steps = await h.store.getSteps('c');
    expect(steps.map((st) => `${st.stepId}:${st.state}`).sort()).toEqual(['s0/z0-n0/t0:succeeded', 's0/z0-n1/t0:succeeded']);
  });
});

/** A store wrapper whose writes can be made to fail. */
class FlakyStore extends MemoryStore {
  failCommits: unknown;
  commits = 0;
  override async commit(lease: Lease, t: Transition): Promise<void> {
    if (this.failCommits !== undefined) throw this.failCommits;
    this.commits++;
    return super.commit(lease, t);
  }
}

describe('Engine: store failures stop the job', () => {
  it('a stale fencing token (another runner took over) stops the job at once: no further task starts', async () => {
    const started: string[] = [];
    const store = new FlakyStore();
    const h = harness({ w: async (ctx) => { started.push(ctx.stepId); await ctx.clock.sleep(10_000, ctx.signal); } }, { store });
    const job = await h.engine.start(planOf(inventory(1, 4), [spec('w')], { limit: 1 }), { operator: 'o', workflowText: '', jobId: 's' });
    await h.clock.advance(5_000);
    // another runner takes the job over (e.g. after believing this one dead)
    await store.acquireLease('s', 'intruder', 30_000, h.clock.now() + 3_600_000);
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('interrupted');
    expect(outcome.error).toMatchObject({ name: 'StaleFencingTokenError' });
    expect(started).toEqual(['s0/z0-n0/t0']);
    const stored = await store.getJob('s');
    expect(stored.state).toBe('running'); // nothing written by the zombie
    expect(stored.fencingToken).toBe(2);
  });

  it('StoreUnavailableError on a commit stops the job and aborts in-flight tasks', async () => {
    const store = new FlakyStore();
    const aborted: string[] = [];
    const h = harness(
      {
        w: async (ctx) => {
          try {
            await ctx.clock.sleep((ctx as NodeExecutionContext).node.id === 'z0-n0' ? 1_000 : 50_000, ctx.signal);
          } catch (e) {
            aborted.push(`${ctx.stepId}:${(e as Error).name}`);
            throw e;
          }
        },
      },
      { store },
    );
    const job = await h.engine.start(planOf(inventory(1, 4), [spec('w')], { limit: 2 }), { operator: 'o', workflowText: '', jobId: 'u' });
    await h.clock.advance(500);
    store.failCommits = new StoreUnavailableError('disk full');
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('interrupted');
    expect(outcome.error).toMatchObject({ name: 'StoreUnavailableError', message: 'disk full' });
    expect(aborted).toEqual(['s0/z0-n1/t0:StoreUnavailableError']);
    expect(secs(h.clock)).toBe(1);
    expect((await store.getJob('u')).state).toBe('running');
  });

  it('a rejected lease renewal stops the job', async () => {
    const store = new MemoryStore();
    const h = harness({ w: sleep(100) }, { store, heartbeatSeconds: 10 });
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'r' });
    await h.clock.advance(1_000); // the task is running; the next store write is the heartbeat at 10 s
    await store.acquireLease('r', 'intruder', 30_000, h.clock.now() + 3_600_000);
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('interrupted');
    expect(secs(h.clock)).toBe(10);
    expect(outcome.error?.name).toBe(new StaleFencingTokenError('r', 1, 2).name);
  });
});

describe('Engine: recoverable errors in conditions', () => {
  it('a recoverable precondition error counts as a failed poll, not a failed attempt', async () => {
    let n = 0;
    const flaky: NodeCondition = {
      name: () => 'flaky',
      check: async () => {
        n++;
        if (n < 3) throw new RecoverableError('connection refused');
        return { ok: true, detail: 'ok' };
      },
    };
    const h = harness({ x: async () => 'done' }, { preconditions: { flaky: () => [new ConditionCheck(flaky, { pollIntervalSeconds: 1 })] } });
    const details: string[] = [];
    h.engine.on('condition-poll', (e) => details.push(e.detail));
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('x', { pre: 'flaky' })]), { operator: 'o', workflowText: '', jobId: 'j' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('succeeded');
    expect(details).toEqual(['connection refused', 'connection refused', 'ok']);
    expect((await h.store.getSteps('j'))[0]!.attempts).toBe(1);
  });
});

it('Engine rejects a heartbeat not shorter than the lease TTL', () => {
  expect(() => new Engine({ store: new MemoryStore(), registry: harness({}).registry, heartbeatSeconds: 30, leaseTtlSeconds: 30 })).toThrow(/heartbeatSeconds/);
});

describe('Engine with the planner and the core plugin', () => {
  it('runs a parsed, planned workflow; !wait-for-conditions polls flow out as condition-poll events', async () => {
    const { parseWorkflow, plan: makePlan, corePlugin, PluginRegistry, VirtualClock, definePlugin: dp } = await import('@scylla-cp/core');
    const { z } = await import('zod');
    let polls = 0;
    const ran: string[] = [];
    const testPlugin = dp({
      name: 'it-plugin',
      version: '1.0.0',
      nodeTasks: {
        'restart-it': {
          description: 'records the node',
          params: z.strictObject({}),
          create: () => ({ name: () => 'restart-it', preconditions: () => [], execute: async (ctx: NodeExecutionContext) => void ran.push(ctx.node.id) }),
        },
      },
      conditions: {
        'warm-enough': {
          description: 'ok from the 3rd poll of each wait',
          scope: 'node',
          params: z.strictObject({}),
          create: () => {
            let n = 0;
            return { name: () => 'warm-enough', check: async () => ({ ok: ++n >= 3, detail: `poll ${n} (${++polls} total)` }) };
          },
        },
      },
    });
    const registry = new PluginRegistry().register(corePlugin, testPlugin);
    const yaml = [
      'name: it',
      'cluster_tasks:',
      '  - task: !node-workflow',
      '      name: restart',
      '      concurrency_unit: zone',
      '      concurrency_limit: 2',
      '      node_tasks:',
      '        - task: !restart-it',
      '        - task: !wait-for-conditions',
      '            conditions:',
      '              - condition: !warm-enough',
      '                poll_interval_seconds: 2',
      '',
    ].join('\n');
    const wf = parseWorkflow(yaml, { registry, fileName: 'it.yaml' });
    const inv = inventory(2, 2);
    const plan = makePlan(wf, inv, {}, {}, { registry });
    const clock = new VirtualClock();
    const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: 1 });
    const seen: string[] = [];
    engine.on('condition-poll', (e) => seen.push(`${e.nodeId}:${e.condition}:${e.ok}:${(e.at - T0) / 1000}`));
    const job = await engine.start(plan, { operator: 'o', workflowText: yaml, jobId: 'it' });
    const outcome = await clock.run(job.done);
    expect(outcome.state).toBe('succeeded');
    expect(ran).toEqual(['z0-n0', 'z0-n1', 'z1-n0', 'z1-n1']);
    expect(seen.filter((s) => s.startsWith('z0-n0:'))).toEqual(['z0-n0:warm-enough:false:0', 'z0-n0:warm-enough:false:2', 'z0-n0:warm-enough:true:4']);
    expect(seen).toHaveLength(12);
    expect(secs(clock)).toBe(8);
  });
});

it('a throwing event listener never disturbs the job', async () => {
  const errors: string[] = [];
  const h2 = harness({ w: async () => {} }, { logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) } });
  for (const ev of ['job', 'step', 'attempt', 'log'] as const) h2.engine.on(ev, () => { throw new Error(`listener bug ${ev}`); });
  const job = await h2.engine.start(planOf(inventory(1, 2), [spec('w'), spec('w')]), { operator: 'o', workflowText: '', jobId: 'l' });
  const outcome = await h2.clock.run(job.done);
  expect(outcome.state).toBe('succeeded');
  expect(outcome.stepsSucceeded).toBe(4);
  expect(errors.some((m) => m.includes("'step' event listener threw: listener bug step"))).toBe(true);
});

describe('Engine: edge cases', () => {
  it('a failed cluster step halts the job: later steps do not run', async () => {
    const ran: string[] = [];
    const h = harness({
      first: async () => { ran.push('first'); throw new UnrecoverableError('schema disagreement'); },
      w: async (ctx) => void ran.push(ctx.stepId),
    });
    const job = await h.engine.start(planOf(inventory(1, 2), [spec('w')], { before: [spec('first')], after: [spec('w')] }), { operator: 'o', workflowText: '', jobId: 'cf' });
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedNodes).toEqual([]);
    expect(outcome.failedSteps.map((s) => s.stepId)).toEqual(['s0']);
    expect(outcome.error?.message).toContain('cluster step s0 failed');
    expect(ran).toEqual(['first']);
  });

  it('a plan without steps succeeds at once; a limit above the batch size runs the whole batch together', async () => {
    const h = harness({ w: async (ctx) => ctx.clock.sleep(7_000, ctx.signal) });
    const empty = { ...planOf(inventory(1, 1), []), steps: [] };
    const j1 = await h.engine.start(empty, { operator: 'o', workflowText: '', jobId: 'e' });
    expect((await h.clock.run(j1.done)).state).toBe('succeeded');
    const j2 = await h.engine.start(planOf(inventory(2, 3), [spec('w')], { limit: 50 }), { operator: 'o', workflowText: '', jobId: 'big' });
    expect((await h.clock.run(j2.done)).state).toBe('succeeded');
    expect(secs(h.clock)).toBe(14);
  });
});

it('Engine.close() disposes the services once the jobs are done', async () => {
  const Res = defineService<{ n: number }>('test-res', 'a pooled resource');
  let disposed = 0;
  const services = new ServiceRegistry().provide({ key: Res, create: () => ({ n: 1 }), dispose: () => void disposed++ });
  const h = harness({ w: async (ctx) => void ctx.services.get(Res) }, { services });
  const job = await h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'cl' });
  await h.clock.run(job.done);
  await h.engine.close();
  expect(disposed).toBe(1);
});
