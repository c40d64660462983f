// Issue 15 item 3 (engine part): !approval pauses the job until an operator approves; the --stop-after canary.
import { describe, expect, it } from 'vitest';
import { corePlugin, WebhookNotifier, type JobPlan, type NodeExecutionContext } from '@scylla-cp/core';
import { harness, inventory, planOf, spec } from './engine-fixtures.js';

function approvalSpec(message?: string) {
  return { tag: 'approval', params: message ? { message } : {}, retries: 0, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 } };
}

describe('!approval', () => {
  it('pauses the job at the step (status says how to approve), and approve + resume go on, recorded with the approver', async () => {
    const ran: string[] = [];
    const h = harness({ before: async () => void ran.push('before'), w: async (c) => void ran.push((c as NodeExecutionContext).node.id) });
    h.registry.register(corePlugin);
    const plan = planOf(inventory(1, 2), [spec('w')], { before: [spec('before'), approvalSpec('check the dashboards')] });
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'a' });
    const out = await h.clock.run(job.done);
    expect(out.state).toBe('paused');
    expect(ran).toEqual(['before']);
    const stored = await h.store.getJob('a');
    expect(stored.state).toBe('paused');
    expect(stored.error?.code).toBe('AWAITING_APPROVAL');
    expect(stored.error?.message).toBe('waiting for approval of step s1: check the dashboards; approve it with: scylla-cp approve a --step s1');

    // Resuming without the approval pauses again at once.
    const again = await h.engine.resume('a');
    expect((await h.clock.run(again.done)).state).toBe('paused');
    expect(ran).toEqual(['before']);

    expect(await h.engine.approve('a', { approver: 'alice' })).toBe('s1');
    expect((await h.store.getJob('a')).error).toBeUndefined();
    const events = await h.store.listEvents('a');
    expect(events.filter((e) => e.type === 'job.approved').map((e) => e.data)).toEqual([{ by: 'alice', stepId: 's1' }]);
    const resumed = await h.engine.resume('a');
    expect((await h.clock.run(resumed.done)).state).toBe('succeeded');
    expect(ran).toEqual(['before', 'z0-n0', 'z0-n1']);
    expect((await h.store.getSteps('a')).find((s) => s.stepId === 's1')?.result).toMatchObject({ approvedBy: 'alice' });
  });

  it('approve refuses what is not an approval step, a job waiting for none, and a finished job', async () => {
    const h = harness({ w: async () => {} });
    h.registry.register(corePlugin);
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('w')], { before: [approvalSpec()] }), { operator: 'o', workflowText: '', jobId: 'b' });
    await h.clock.run(job.done);
    await expect(h.engine.approve('b', { approver: 'x', stepId: 's1' })).rejects.toMatchObject({ code: 'NOT_AN_APPROVAL', message: expect.stringContaining('its approval steps: s0') });
    const plain = await h.engine.start(planOf(inventory(1, 1), [spec('w')]), { operator: 'o', workflowText: '', jobId: 'c', allowConcurrent: true });
    plain.pause();
    await h.clock.run(plain.done);
    await expect(h.engine.approve('c', { approver: 'x' })).rejects.toMatchObject({ code: 'NOTHING_TO_APPROVE' });
    await h.engine.approve('b', { approver: 'x' });
    await h.clock.run((await h.engine.resume('b')).done);
    await expect(h.engine.approve('b', { approver: 'x' })).rejects.toMatchObject({ code: 'JOB_FINISHED' });
  });

  it('pages through the notifiers (even with the default notifyOn) with the approve command', async () => {
    const h = harness({ w: async () => {} });
    h.registry.register(corePlugin);
    const sent: string[] = [];
    const notifier = new WebhookNotifier({ targets: [{ kind: 'webhook', url: 'http://127.0.0.1:9/hook' }], clock: h.clock });
    notifier.notify = async (e) => void sent.push(`${e.state}: ${e.error?.message}`);
    notifier.attach(h.engine);
    const job = await h.engine.start(planOf(inventory(1, 1), [spec('w')], { before: [approvalSpec('go?')] }), { operator: 'o', workflowText: '', jobId: 'n' });
    await h.clock.run(job.done);
    expect(sent).toEqual(['paused: waiting for approval of step s0: go?; approve it with: scylla-cp approve n --step s0']);
  });
});

describe('--stop-after N (canary)', () => {
  const canaryPlan = (n: number, limit: number): JobPlan => ({ ...planOf(inventory(2, 3), [spec('w')], { limit, unit: 'node' }), stopAfterNodes: n });

  it('starts only N nodes, pauses when they finished, and after approval runs the rest without pausing again', async () => {
    const ran: string[] = [];
    const h = harness({ w: async (c) => {
      await c.clock.sleep(1000);
      ran.push((c as NodeExecutionContext).node.id);
    } });
    // unit node + limit 1 would serialize anyway; use limit 1 per batch but 2 batches
    const job = await h.engine.start(canaryPlan(2, 1), { operator: 'o', workflowText: '', jobId: 'k' });
    expect((await h.clock.run(job.done)).state).toBe('paused');
    expect(ran).toEqual(['z0-n0', 'z0-n1']);
    const stored = await h.store.getJob('k');
    expect(stored.error).toMatchObject({ code: 'AWAITING_APPROVAL', details: { stepId: 'canary', approveCommand: 'scylla-cp approve k' } });
    expect(stored.error?.message).toContain('canary: 2 node(s) finished');
    await h.engine.approve('k', { approver: 'bob' });
    expect((await h.clock.run((await h.engine.resume('k')).done)).state).toBe('succeeded');
    expect(ran).toHaveLength(6);
  });

  it('with concurrency above N still starts only N nodes before the approval', async () => {
    const started: string[] = [];
    const h = harness({ w: async (c) => c.clock.sleep(1000) });
    h.engine.on('step', (e) => {
      if (e.state === 'running') started.push(e.nodeId!);
    });
    const plan: JobPlan = { ...planOf(inventory(1, 6), [spec('w')], { limit: 4 }), stopAfterNodes: 1 };
    const job = await h.engine.start(plan, { operator: 'o', workflowText: '', jobId: 'm' });
    expect((await h.clock.run(job.done)).state).toBe('paused');
    expect(started).toEqual(['z0-n0']);
    // Approving ahead of the pause works too (--step canary), and a resume then never pauses.
    await h.engine.approve('m', { approver: 'bob', stepId: 'canary' });
    expect((await h.clock.run((await h.engine.resume('m')).done)).state).toBe('succeeded');
    expect(started).toHaveLength(6);
  });
});
