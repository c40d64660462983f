// Issue 12, "Attempts always settle before anything new starts": an attempt is
// over only when its execute (or condition check) has settled; after a timeout
// or abort the engine waits for it up to the abandon grace.
import { describe, expect, it } from 'vitest';
import { ConditionCheck, type NodeCondition, type NodeExecutionContext } from '@scylla-cp/core';
import { harness, inventory, planOf, secs, spec } from './engine-fixtures.js';

/** Counts executions per node and overall; records overlaps. */
class Executions {
  perNode = new Map<string, number>();
  zones = new Set<string>();
  violations: string[] = [];
  enter(ctx: NodeExecutionContext): void {
    const n = (this.perNode.get(ctx.node.id) ?? 0) + 1;
    this.perNode.set(ctx.node.id, n);
    if (n > 1) this.violations.push(`two executions on ${ctx.node.id}`);
    this.zones.add(ctx.node.zone);
    if (this.zones.size > 1) this.violations.push(`zones ${[...this.zones].join(',')} active at once`);
  }
  leave(ctx: NodeExecutionContext): void {
    const n = this.perNode.get(ctx.node.id)! - 1;
    this.perNode.set(ctx.node.id, n);
    if (n === 0) {
      this.perNode.delete(ctx.node.id);
      if (![...this.perNode.keys()].some((id) => id.startsWith(`z${ctx.node.zone.slice(5)}-`))) this.zones.delete(ctx.node.zone);
    }
  }
}

/** A task that ignores its signal and runs `seconds` of clock time. */
function stubborn(ex: Executions, seconds: number) {
  return async (c: unknown) => {
    const ctx = c as NodeExecutionContext;
    ex.enter(ctx);
    try {
      await ctx.clock.sleep(seconds * 1000);
    } finally {
      ex.leave(ctx);
    }
  };
}

describe('attempts settle before anything new starts', () => {
  it('a timed-out task that ignores its signal keeps the next zone waiting until it settles', async () => {
    const ex = new Executions();
    const h = harness({ slow: stubborn(ex, 30) });
    const plan = planOf(inventory(2, 1), [spec('slow', { timeoutSeconds: 10 })], { abortOnFirstFailure: false });
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    const outcome = await h.clock.run(job.done);
    expect(ex.violations).toEqual([]);
    expect(outcome.state).toBe('failed');
    expect(outcome.failedSteps[0]!.error.code).toBe('STEP_TIMEOUT');
  });

  it('a retry never starts while attempt 1 still runs on the same node', async () => {
    const ex = new Executions();
    const h = harness({ slow: stubborn(ex, 25) });
    const plan = planOf(inventory(1, 1), [spec('slow', { timeoutSeconds: 10, retries: 2, retryBackoff: { initialSeconds: 1, multiplier: 1, maxSeconds: 1 } })]);
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    await h.clock.run(job.done);
    expect(ex.violations).toEqual([]);
  });

  it('abort(): done resolves only after the in-flight task settled', async () => {
    const ex = new Executions();
    let settledAt = -1;
    const h = harness({
      slow: async (c) => {
        await stubborn(ex, 40)(c);
        settledAt = secs(h.clock);
      },
    });
    const plan = planOf(inventory(1, 1), [spec('slow')]);
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    await h.clock.advance(5_000);
    job.abort('test');
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('cancelled');
    expect(settledAt).toBe(40);
    expect(secs(h.clock)).toBeGreaterThanOrEqual(40);
  });

  it('a task that never settles: the job halts failed with AttemptDidNotStopError after the grace, naming node and step; nothing new starts', async () => {
    const started: string[] = [];
    const h = harness(
      {
        hang: async (c) => {
          const id = (c as NodeExecutionContext).node.id;
          started.push(id);
          if (id === 'z0-n0') await new Promise(() => {});
        },
      },
      { abandonGraceSeconds: 60 },
    );
    const jobEvents: Array<{ state: string; code?: string }> = [];
    h.engine.on('job', (e) => jobEvents.push({ state: e.state, code: e.error?.code }));
    const plan = planOf(inventory(1, 3), [spec('hang', { timeoutSeconds: 10 })], { abortOnFirstFailure: false });
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    const outcome = await h.clock.run(job.done, { maxVirtualMs: 3_600_000 });
    expect(outcome.state).toBe('failed');
    expect(started).toEqual(['z0-n0']);
    expect(secs(h.clock)).toBe(70);
    const err = outcome.failedSteps[0]!.error;
    expect(err.name).toBe('AttemptDidNotStopError');
    expect(err.classification).toBe('unrecoverable');
    expect(err.message).toContain('z0-n0');
    expect(err.message).toContain('s0/z0-n0/t0');
    expect(outcome.error?.name).toBe('AttemptDidNotStopError');
    // the job event that pages (the notifiers listen to it) carries the error
    expect(jobEvents.at(-1)).toEqual({ state: 'failed', code: 'ATTEMPT_DID_NOT_STOP' });
    expect(h.engine.inFlight.isExcluded('test-cluster', 'z0-n0')).toBe(true);
    // the node is left out of any further work in this process; the others run
    const again = await h.engine.resume(job.jobId, { retryFailed: true });
    const second = await h.clock.run(again.done, { maxVirtualMs: 3_600_000 });
    expect(second.state).toBe('failed');
    expect(second.failedSteps.map((f) => `${f.nodeId}:${f.error.code}`)).toEqual(['z0-n0:NODE_EXCLUDED']);
    expect(started).toEqual(['z0-n0', 'z0-n1', 'z0-n2']);
  });

  it('interrupt + resume: the resumed attempt never overlaps the old attempt still cleaning up', async () => {
    const ex = new Executions();
    const h = harness({
      clean: async (c) => {
        const ctx = c as NodeExecutionContext;
        ex.enter(ctx);
        try {
          await ctx.clock.sleep(60_000, ctx.signal);
        } catch (e) {
          await ctx.clock.sleep(20_000); // clean-up that ignores the signal
          throw e;
        } finally {
          ex.leave(ctx);
        }
      },
    });
    const plan = planOf(inventory(1, 1), [spec('clean')]);
    const job = await h.engine.start(plan, { operator: 't', workflowText: '', jobId: 'ir' });
    await h.clock.advance(1_000);
    job.interrupt('operator pressed Ctrl-C twice');
    const first = await h.clock.run(job.done);
    expect(first.state).toBe('paused');
    expect(secs(h.clock)).toBe(21); // done waited for the clean-up
    const again = await h.engine.resume('ir');
    await h.clock.advance(1_000);
    again.interrupt('again');
    await h.clock.run(again.done);
    expect(ex.violations).toEqual([]);
  });

  it('the per-step abandon grace overrides the engine default', async () => {
    const h = harness({ hang: () => new Promise(() => {}) }, { abandonGraceSeconds: 600 });
    const plan = planOf(inventory(1, 1), [spec('hang', { timeoutSeconds: 10, abandonGraceSeconds: 5 })]);
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    const outcome = await h.clock.run(job.done, { maxVirtualMs: 3_600_000 });
    expect(outcome.failedSteps[0]!.error.name).toBe('AttemptDidNotStopError');
    expect(secs(h.clock)).toBe(15);
  });

  it('a condition check that ignores its signal is awaited before the attempt ends', async () => {
    let checking = 0;
    let overlap = false;
    const cond: NodeCondition = {
      name: () => 'slow-check',
      check: async (ctx) => {
        checking++;
        if (checking > 1) overlap = true;
        await ctx.clock.sleep(50_000);
        checking--;
        return { ok: false, detail: 'never' };
      },
    };
    const ran: string[] = [];
    const h = harness(
      { act: async (c) => void ran.push((c as NodeExecutionContext).node.id) },
      { preconditions: { slow: () => [new ConditionCheck(cond, { timeoutSeconds: 20, pollIntervalSeconds: 5 })] } },
    );
    const plan = planOf(inventory(2, 1), [spec('act', { pre: 'slow' })], { abortOnFirstFailure: false });
    const job = await h.engine.start(plan, { operator: 't', workflowText: '' });
    await h.clock.run(job.done, { maxVirtualMs: 3_600_000 });
    expect(overlap).toBe(false);
    // node 2's check starts only after node 1's check settled (t=50), not at its timeout (t=20)
    expect(secs(h.clock)).toBeGreaterThanOrEqual(100);
  });
});
