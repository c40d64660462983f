import { ClusterLockedError, JobNotFoundError } from '../../errors/store-errors.js';
import { contractPlan } from './contract-api.js';
import type { ContractKit } from './contract-kit.js';

/** The `JobStore` contract, part: Jobs, job counts and the cluster lock. @internal */
export function jobsContract(k: ContractKit): void {
  const { describe, it, expect, rejects, newJob, jobIn } = k;
  describe('jobs', () => {
    it('createJob stores the job as pending with fencing token 0 and the plan intact', async () => {
      const created = await k.store.createJob(newJob('j1', { at: 1_234 }));
      expect(created).toMatchObject({
        id: 'j1',
        cluster: 'c1',
        operator: 'alice',
        workflowName: 'contract',
        workflowText: 'name: contract\n',
        state: 'pending',
        createdAt: 1_234,
        updatedAt: 1_234,
        fencingToken: 0,
      });
      const got = await k.store.getJob('j1');
      expect(got.plan).toEqual(contractPlan('c1'));
      expect(got.state).toBe('pending');
      expect(got.error).toBeUndefined();
      expect(got.control).toBeUndefined();
    });

    it('getJob, acquireLease and requestControl throw JobNotFoundError for an unknown id', async () => {
      await rejects(k.store.getJob('nope'), JobNotFoundError);
      await rejects(k.store.acquireLease('nope', 'h', 1_000, 0), JobNotFoundError);
      await rejects(k.store.requestControl('nope', 'pause', 0), JobNotFoundError);
    });

    it('a second job with the same id is refused', async () => {
      await k.store.createJob(newJob('j1'));
      let threw = false;
      try {
        await k.store.createJob(newJob('j1', { cluster: 'other', at: 5_000 }));
      } catch {
        threw = true;
      }
      expect(threw).toBe(true);
      expect((await k.store.getJob('j1')).cluster).toBe('c1');
    });

    it('listJobs returns newest first, filters by cluster and states, and honours limit (default 50)', async () => {
      await k.store.createJob(newJob('a', { at: 100 }));
      await k.store.createJob(newJob('b', { at: 300, cluster: 'c2' }));
      await k.store.createJob(newJob('c', { at: 200, allowConcurrent: true }));
      const lease = await k.store.acquireLease('a', 'h', 1_000, 400);
      await k.store.commit(lease, { at: 400, job: { state: 'succeeded' } });

      expect((await k.store.listJobs()).map((j) => j.id)).toEqual(['b', 'c', 'a']);
      expect((await k.store.listJobs({ cluster: 'c1' })).map((j) => j.id)).toEqual(['c', 'a']);
      expect((await k.store.listJobs({ states: ['succeeded'] })).map((j) => j.id)).toEqual(['a']);
      expect((await k.store.listJobs({ states: ['pending', 'succeeded'], cluster: 'c1' })).map((j) => j.id)).toEqual(['c', 'a']);
      expect((await k.store.listJobs({ limit: 2 })).map((j) => j.id)).toEqual(['b', 'c']);

      for (let i = 0; i < 55; i++) await k.store.createJob(newJob(`many-${i}`, { at: 1_000 + i, cluster: 'c3', allowConcurrent: true }));
      const page = await k.store.listJobs({ cluster: 'c3' });
      expect(page).toHaveLength(50);
      expect(page[0]!.id).toBe('many-54');
    });
  });

  describe('job counts', () => {
    it('countJobsByState counts every job by state (every state present), and by cluster when asked', async () => {
      expect(typeof k.store.countJobsByState).toBe('function');
      const zero = { pending: 0, running: 0, paused: 0, succeeded: 0, failed: 0, cancelled: 0 };
      expect(await k.store.countJobsByState!()).toEqual(zero);
      await jobIn('b', 'succeeded');
      await jobIn('a', 'running');
      await jobIn('c', 'succeeded', { cluster: 'c2' });
      await jobIn('d', 'failed', { cluster: 'c3' });
      await k.store.createJob(newJob('e', { cluster: 'c4' }));
      expect(await k.store.countJobsByState!()).toEqual({ ...zero, pending: 1, running: 1, succeeded: 2, failed: 1 });
      expect(await k.store.countJobsByState!({ cluster: 'c2' })).toEqual({ ...zero, succeeded: 1 });
      expect(await k.store.countJobsByState!({ cluster: 'nowhere' })).toEqual(zero);
    });
  });

  describe('cluster lock', () => {
    for (const state of ['pending', 'running', 'paused'] as const) {
      it(`a ${state} job locks its cluster: createJob throws ClusterLockedError naming it and its operator`, async () => {
        if (state === 'pending') await k.store.createJob(newJob('first', { operator: 'bob' }));
        else await jobIn('first', state, { operator: 'bob' });
        const err = await rejects(k.store.createJob(newJob('second', { at: 3_000 })), ClusterLockedError);
        expect(err).toMatchObject({ cluster: 'c1', heldByJobId: 'first', heldByOperator: 'bob', heldByState: state });
        await rejects(k.store.getJob('second'), JobNotFoundError);
      });
    }

    it('another cluster is not locked, and allowConcurrent bypasses the lock', async () => {
      await k.store.createJob(newJob('first'));
      await k.store.createJob(newJob('other-cluster', { cluster: 'c2' }));
      const concurrent = await k.store.createJob(newJob('concurrent', { allowConcurrent: true }));
      expect(concurrent.state).toBe('pending');
    });

    it('a failed job keeps the cluster lock (a node may be down mid-operation) until it is retried or cancelled', async () => {
      const lease = await jobIn('first', 'failed', { operator: 'bob' });
      const err = await rejects(k.store.createJob(newJob('second', { at: 3_000 })), ClusterLockedError);
      expect(err).toMatchObject({ heldByJobId: 'first', heldByOperator: 'bob', heldByState: 'failed' });
      await k.store.commit(lease, { at: 4_000, job: { state: 'cancelled' } });
      expect((await k.store.createJob(newJob('second', { at: 5_000 }))).state).toBe('pending');
    });

    for (const state of ['succeeded', 'cancelled'] as const) {
      it(`a ${state} job no longer locks its cluster`, async () => {
        await jobIn('first', state);
        const second = await k.store.createJob(newJob('second', { at: 3_000 }));
        expect(second.state).toBe('pending');
      });
    }

    it('commit moving a failed job back to running re-checks the lock and writes nothing when refused', async () => {
      const leaseA = await jobIn('a', 'failed');
      await k.store.createJob(newJob('b', { at: 3_000, operator: 'carol', allowConcurrent: true }));
      const eventsBefore = await k.store.listEvents('a');
      const err = await rejects(
        k.store.commit(leaseA, {
          at: 4_000,
          job: { state: 'running', error: null },
          steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1 }],
          events: [{ type: 'job.resumed', data: {} }],
        }),
        ClusterLockedError,
      );
      expect(err).toMatchObject({ heldByJobId: 'b', heldByOperator: 'carol' });
      expect((await k.store.getJob('a')).state).toBe('failed');
      expect(await k.store.getSteps('a')).toEqual([]);
      expect(await k.store.listEvents('a')).toEqual(eventsBefore);

      const leaseB = await k.store.acquireLease('b', 'hb', 1_000, 5_000);
      await k.store.commit(leaseB, { at: 5_000, job: { state: 'cancelled' } });
      await k.store.commit(leaseA, { at: 6_000, job: { state: 'running', error: null } });
      expect((await k.store.getJob('a')).state).toBe('running');
    });
  });
}
