import { describe, expect, it } from 'vitest';
import { harness, inventory, planOf, secs, spec } from './engine-fixtures.js';

describe('Engine: interrupt (the second Ctrl-C)', () => {
  it('aborts in-flight tasks at once, leaves their steps running, ends paused, and a resume re-attempts exactly them', async () => {
    const attempts: string[] = [];
    const aborted: string[] = [];
    const h = harness({
      w: async (ctx) => {
        attempts.push(`${ctx.stepId}#${ctx.attempt}`);
        try {
          await ctx.clock.sleep(60_000, ctx.signal);
        } catch (e) {
          aborted.push(ctx.stepId);
          throw e;
        }
      },
    });
    const plan = planOf(inventory(1, 3), [spec('w', { retries: 3 })], { limit: 2 });
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'i' });
    await h.clock.advance(1_000);
    job.interrupt('operator pressed Ctrl-C twice');
    const outcome = await h.clock.run(job.done);
    expect(outcome.state).toBe('paused');
    expect(outcome.failedSteps).toEqual([]);
    expect(secs(h.clock)).toBe(1); // no waiting for the 60 s tasks, and no retry delay
    expect(aborted.sort()).toEqual(['s0/z0-n0/t0', 's0/z0-n1/t0']);
    const stored = await h.store.getJob('i');
    expect(stored.state).toBe('paused');
    const steps = new Map((await h.store.getSteps('i')).map((s) => [s.stepId, s]));
    expect(steps.get('s0/z0-n0/t0')?.state).toBe('running');
    expect(steps.get('s0/z0-n1/t0')?.state).toBe('running');
    expect(steps.has('s0/z0-n2/t0')).toBe(false);

    const resumed = await h.engine.resume('i');
    const out2 = await h.clock.run(resumed.done);
    expect(out2.state).toBe('succeeded');
    // the two interrupted steps were attempted again under the same attempt
    // number (an interrupted attempt never concluded: it does not use the
    // retry budget), the third ran once
    expect(attempts.sort()).toEqual(['s0/z0-n0/t0#1', 's0/z0-n0/t0#1', 's0/z0-n1/t0#1', 's0/z0-n1/t0#1', 's0/z0-n2/t0#1']);
  });
});
