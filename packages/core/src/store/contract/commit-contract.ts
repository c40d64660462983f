import { JobNotFoundError } from '../../errors/store-errors.js';
import { isCompletedStepState } from '../job-store.js';
import { contractPlan } from './contract-api.js';
import type { JobPlan } from '../../plan/job-plan.js';
import type { ContractKit } from './contract-kit.js';

/** The `JobStore` contract, part: Commits: step upserts, step records, plan re-binding. @internal */
export function commitContract(k: ContractKit): void {
  const { describe, it, expect, rejects, newJob } = k;
  describe('commit', () => {
    it('applies job state, step upserts and events together', async () => {
      await k.store.createJob(newJob('j'));
      const lease = await k.store.acquireLease('j', 'h', 60_000, 5_000);
      await k.store.commit(lease, {
        at: 5_000,
        job: { state: 'running' },
        steps: [
          { stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 5_000 },
          { stepId: 's1', state: 'pending', attempts: 0 },
        ],
        events: [
          { type: 'job.started', data: { operator: 'alice' } },
          { type: 'step.started', stepId: 's0/n1/t0', data: { attempt: 1 } },
        ],
      });
      let job = await k.store.getJob('j');
      expect(job.state).toBe('running');
      expect(job.updatedAt).toBe(5_000);

      const err = { name: 'RecoverableError', message: 'connection refused', code: 'ECONNREFUSED', classification: 'recoverable' as const };
      await k.store.commit(lease, { at: 6_000, steps: [{ stepId: 's0/n1/t0', state: 'running', attempts: 2, lastError: err }] });
      let steps = (await k.store.getSteps('j')).sort((a, b) => a.stepId.localeCompare(b.stepId));
      expect(steps).toHaveLength(2);
      expect(steps[0]).toMatchObject({ jobId: 'j', stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 2, startedAt: 5_000, lastError: err });
      expect(steps[1]).toMatchObject({ jobId: 'j', stepId: 's1', state: 'pending', attempts: 0 });

      await k.store.commit(lease, {
        at: 7_000,
        steps: [{ stepId: 's0/n1/t0', state: 'succeeded', attempts: 2, finishedAt: 7_000, lastError: null, result: { drained: true, n: [1, 2] } }],
      });
      steps = (await k.store.getSteps('j')).sort((a, b) => a.stepId.localeCompare(b.stepId));
      expect(steps[0]).toMatchObject({ state: 'succeeded', attempts: 2, startedAt: 5_000, finishedAt: 7_000, result: { drained: true, n: [1, 2] } });
      expect(steps[0]!.lastError).toBeUndefined();

      const failure = { name: 'UnrecoverableError', message: 'node down', classification: 'unrecoverable' as const, details: { node: 'n1' } };
      await k.store.commit(lease, { at: 8_000, job: { state: 'failed', error: failure } });
      job = await k.store.getJob('j');
      expect(job).toMatchObject({ state: 'failed', error: failure, updatedAt: 8_000 });
      await k.store.commit(lease, { at: 9_000, job: { state: 'failed', error: null } });
      expect((await k.store.getJob('j')).error).toBeUndefined();
    });

    it('getResumeRecords, where implemented, holds the same records as getSteps, completed ones by id', async () => {
      await k.store.createJob(newJob('j'));
      await k.store.createJob(newJob('other', { cluster: 'c2' }));
      const lease = await k.store.acquireLease('j', 'h', 60_000, 5_000);
      const err = { name: 'UnrecoverableError', message: 'boom', classification: 'unrecoverable' as const };
      await k.store.commit(lease, {
        at: 5_000,
        steps: [
          { stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, startedAt: 5_000, finishedAt: 5_000, result: { a: 1 } },
          { stepId: 's0/n1/t1', nodeId: 'n1', state: 'skipped', attempts: 0 },
          { stepId: 's0/n2/t0', nodeId: 'n2', state: 'running', attempts: 2, startedAt: 5_000, result: { partial: true } },
          { stepId: 's0/n3/t0', nodeId: 'n3', state: 'failed', attempts: 1, lastError: err },
          { stepId: 's1', state: 'pending', attempts: 0 },
        ],
      });
      const all = await k.store.getSteps('j');
      const fromSteps = {
        completed: all.filter((r) => isCompletedStepState(r.state)).map((r) => r.stepId).sort(),
        open: all.filter((r) => !isCompletedStepState(r.state)).sort((a, b) => a.stepId.localeCompare(b.stepId)),
      };
      expect(fromSteps.completed).toEqual(['s0/n1/t0', 's0/n1/t1']);
      expect(fromSteps.open).toHaveLength(3);
      if (k.store.getResumeRecords === undefined) return;
      const rr = await k.store.getResumeRecords('j');
      expect([...rr.completedStepIds].sort()).toEqual(fromSteps.completed);
      expect([...rr.openRecords].sort((a, b) => a.stepId.localeCompare(b.stepId))).toEqual(fromSteps.open);
      expect(await k.store.getResumeRecords('other')).toEqual({ completedStepIds: [], openRecords: [] });
      await rejects(k.store.getResumeRecords('missing'), JobNotFoundError);
    });

    it('records returned by the store are copies', async () => {
      await k.store.createJob(newJob('j'));
      const lease = await k.store.acquireLease('j', 'h', 60_000, 5_000);
      await k.store.commit(lease, { at: 5_000, steps: [{ stepId: 'x', state: 'running', attempts: 1, result: { a: 1 } }] });
      const [step] = await k.store.getSteps('j');
      step!.state = 'succeeded';
      (step!.result as { a: number }).a = 2;
      expect((await k.store.getSteps('j'))[0]).toMatchObject({ state: 'running', result: { a: 1 } });
    });
  });

  describe('step records', () => {
    it('startedAt keeps the first attempt time: a later startedAt does not move it', async () => {
      await k.store.createJob(newJob('j'));
      const lease = await k.store.acquireLease('j', 'h', 60_000, 5_000);
      await k.store.commit(lease, { at: 5_000, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 5_000 }] });
      await k.store.commit(lease, { at: 9_000, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 9_000 }] });
      await k.store.commit(lease, { at: 9_500, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, startedAt: 9_500, finishedAt: 9_500 }] });
      expect((await k.store.getSteps('j'))[0]).toMatchObject({ startedAt: 5_000, finishedAt: 9_500 });
    });
  });

  describe('plan re-binding', () => {
    it('a commit carrying a plan replaces the stored plan, atomically with its events', async () => {
      await k.store.createJob(newJob('j'));
      const lease = await k.store.acquireLease('j', 'h', 60_000, 5_000);
      const plan = contractPlan('c1');
      const rebound: JobPlan = { ...plan, inventory: { ...plan.inventory, nodes: plan.inventory.nodes.map((n) => ({ ...n, connection: { scylla_api: { port: 10001 } } })) } };
      await k.store.commit(lease, { at: 6_000, plan: rebound, events: [{ type: 'job.inventory-rebound', data: { nodes: 1 } }] });
      expect((await k.store.getJob('j')).plan).toEqual(rebound);
      expect((await k.store.listEvents('j')).map((e) => e.type)).toEqual(['job.inventory-rebound']);
    });
  });
}
