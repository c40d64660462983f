import { JobFinishedError } from '../../errors/store-errors.js';
import type { ContractKit } from './contract-kit.js';

/** The `JobStore` contract, part: The event log, final states and control requests. @internal */
export function eventContract(k: ContractKit): void {
  const { describe, it, expect, rejects, newJob, jobIn } = k;
  describe('events', () => {
    it('are listed in sequence order, with afterSeq and limit, and carry type, step, data and time', async () => {
      await k.store.createJob(newJob('j'));
      await k.store.createJob(newJob('k', { allowConcurrent: true }));
      const lj = await k.store.acquireLease('j', 'h', 60_000, 1_000);
      const lk = await k.store.acquireLease('k', 'h', 60_000, 1_000);
      for (let i = 0; i < 5; i++) {
        await k.store.commit(lj, { at: 2_000 + i, events: [{ type: `e${i}`, stepId: `s${i}`, data: { i } }] });
        await k.store.commit(lk, { at: 2_000 + i, events: [{ type: `k${i}`, data: { i } }] });
      }
      await k.store.commit(lj, { at: 3_000, events: [{ type: 'a', data: {} }, { type: 'b', data: { nested: { x: [1] } } }] });
      const all = await k.store.listEvents('j');
      expect(all.map((e) => e.type)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'a', 'b']);
      for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
      expect(all[2]).toMatchObject({ jobId: 'j', at: 2_002, type: 'e2', stepId: 's2', data: { i: 2 } });
      expect(all[6]!.data).toEqual({ nested: { x: [1] } });
      const after = await k.store.listEvents('j', { afterSeq: all[3]!.seq });
      expect(after.map((e) => e.type)).toEqual(['e4', 'a', 'b']);
      const limited = await k.store.listEvents('j', { afterSeq: all[0]!.seq, limit: 2 });
      expect(limited.map((e) => e.type)).toEqual(['e1', 'e2']);
      expect((await k.store.listEvents('k')).map((e) => e.type)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    });
  });

  describe('final states', () => {
    for (const state of ['succeeded', 'cancelled'] as const) {
      it(`a ${state} job is final: every commit is refused with JobFinishedError and nothing is written`, async () => {
        const lease = await jobIn('j', state);
        const before = { job: await k.store.getJob('j'), steps: await k.store.getSteps('j'), events: await k.store.listEvents('j') };
        for (const t of [
          { at: 3_000, job: { state: 'running' as const, error: null } },
          { at: 3_000, job: { state: 'failed' as const } },
          { at: 3_000, job: { state: 'paused' as const }, steps: [{ stepId: 's0/n1/t0', state: 'running' as const, attempts: 1 }] },
          { at: 3_000, steps: [{ stepId: 's0/n1/t0', state: 'running' as const, attempts: 1 }], events: [{ type: 'step.started', data: {} }] },
        ]) {
          const err = await rejects(k.store.commit(lease, t), JobFinishedError);
          expect(err).toMatchObject({ jobId: 'j', state });
        }
        // a new lease does not revive it either
        const fresh = await k.store.acquireLease('j', 'other', 10_000, 50_000);
        await rejects(k.store.commit(fresh, { at: 50_000, job: { state: 'running' } }), JobFinishedError);
        expect(await k.store.getJob('j')).toMatchObject({ state, updatedAt: before.job.updatedAt });
        expect(await k.store.getSteps('j')).toEqual(before.steps);
        expect(await k.store.listEvents('j')).toEqual(before.events);
      });
    }

    it('a failed job may be resumed (retry) or cancelled', async () => {
      const lease = await jobIn('j', 'failed');
      await k.store.commit(lease, { at: 3_000, job: { state: 'running', error: null } });
      await k.store.commit(lease, { at: 4_000, job: { state: 'failed' } });
      await k.store.commit(lease, { at: 5_000, job: { state: 'cancelled' } });
      expect((await k.store.getJob('j')).state).toBe('cancelled');
    });
  });

  describe('control requests', () => {
    it('cancel-now is a control request too', async () => {
      await k.store.createJob(newJob('j'));
      await k.store.requestControl('j', 'cancel-now', 3_000);
      expect((await k.store.getJob('j')).control).toBe('cancel-now');
    });

    it('requestControl needs no lease; a commit with clearControl clears it', async () => {
      await k.store.createJob(newJob('j'));
      await k.store.requestControl('j', 'pause', 3_000);
      expect((await k.store.getJob('j')).control).toBe('pause');
      await k.store.requestControl('j', 'cancel', 3_100);
      expect((await k.store.getJob('j')).control).toBe('cancel');
      const lease = await k.store.acquireLease('j', 'h', 60_000, 4_000);
      await k.store.commit(lease, { at: 4_000, job: { state: 'running' } });
      expect((await k.store.getJob('j')).control).toBe('cancel');
      await k.store.commit(lease, { at: 5_000, job: { state: 'cancelled', clearControl: true } });
      const job = await k.store.getJob('j');
      expect(job.control).toBeUndefined();
      expect(job.state).toBe('cancelled');
    });
  });
}
