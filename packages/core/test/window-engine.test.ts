// Issue 15 item 4 (engine part): no node starts outside the maintenance window; at its end in-flight nodes finish and the job pauses.
import { describe, expect, it } from 'vitest';
import type { JobPlan, NodeExecutionContext } from '@scylla-cp/core';
import { harness, inventory, planOf, spec, T0 } from './engine-fixtures.js';

// T0 is Thursday 2026-01-01 00:00 UTC, 01:00 in Paris.
const MIN = 60_000;

describe('maintenance window in the engine', () => {
  it('at the window end the node in flight finishes, no node starts after, and the job pauses with the next opening', async () => {
    const starts: number[] = [];
    const ends: number[] = [];
    const h = harness({
      w: async (c) => {
        starts.push((c.clock.now() - T0) / MIN);
        await c.clock.sleep(2 * MIN);
        ends.push((c.clock.now() - T0) / MIN);
      },
    });
    const plan: JobPlan = { ...planOf(inventory(1, 6), [spec('w')]), maintenanceWindow: { schedule: 'Mon-Fri 01:00-01:05', timezone: 'Europe/Paris' } };
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'w' });
    const out = await h.clock.run(job.done);
    expect(out.state).toBe('paused');
    expect(starts).toEqual([0, 2, 4]); // 01:00, 01:02, 01:04 Paris
    expect(ends).toEqual([2, 4, 6]); // the third finished after the window closed
    const stored = await h.store.getJob('w');
    expect(stored.error).toMatchObject({ code: 'OUTSIDE_WINDOW', details: { nextOpenAt: '2026-01-02T00:00:00.000Z' } });
    expect(stored.error?.message).toBe(
      'outside the maintenance window Mon-Fri 01:00-01:05 (Europe/Paris): no node starts until it opens again at 2026-01-02T00:00:00.000Z (Fri, 02/01/2026, 01:00 Europe/Paris); resume the job then',
    );
    const paused = (await h.store.listEvents('w')).find((e) => e.type === 'job.paused');
    expect(paused?.data.reason).toMatchObject({ code: 'OUTSIDE_WINDOW' });

    // Resumed before the window opens: pauses again, nothing starts.
    await h.clock.advanceTo(T0 + 12 * 60 * MIN);
    expect((await h.clock.run((await h.engine.resume('w')).done)).state).toBe('paused');
    expect(starts).toHaveLength(3);
    // Resumed at the opening: goes on, within the window.
    await h.clock.advanceTo(Date.parse('2026-01-02T00:00:00Z'));
    expect((await h.clock.run((await h.engine.resume('w')).done)).state).toBe('succeeded');
    expect(starts.slice(3).map((m) => m - 24 * 60)).toEqual([0, 2, 4]);
    expect(ends).toHaveLength(6);
  });

  it('a job started outside its window starts nothing (cluster steps neither) and pauses at once', async () => {
    const ran: string[] = [];
    const h = harness({ c: async () => void ran.push('c'), w: async (ctx) => void ran.push((ctx as NodeExecutionContext).node.id) });
    const plan: JobPlan = { ...planOf(inventory(1, 2), [spec('w')], { before: [spec('c')] }), maintenanceWindow: { schedule: 'Sat,Sun 22:00-06:00', timezone: 'UTC' } };
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'x' });
    expect((await h.clock.run(job.done)).state).toBe('paused');
    expect(ran).toEqual([]);
    expect((await h.store.getJob('x')).error?.details).toMatchObject({ nextOpenAt: '2026-01-03T22:00:00.000Z' });
  });

  it('finally_tasks still run when a job ends outside the window (clean-up is never held)', async () => {
    const ran: string[] = [];
    const h = harness({ w: async (c) => c.clock.sleep(10 * MIN), f: async () => void ran.push('f') });
    const plan: JobPlan = {
      ...planOf(inventory(1, 2), [spec('w')], { abortOnFirstFailure: true }),
      maintenanceWindow: { schedule: 'daily 00:00-00:05', timezone: 'UTC' },
      finallySteps: [{ kind: 'cluster-task', id: 'f0', task: spec('f') }],
    };
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'y' });
    await h.clock.advance(MIN);
    job.cancel('enough');
    expect((await h.clock.run(job.done)).state).toBe('cancelled');
    expect(ran).toEqual(['f']);
  });
});
