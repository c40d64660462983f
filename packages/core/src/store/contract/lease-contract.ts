import { JobNotFoundError, LeaseHeldError, StaleFencingTokenError } from '../../errors/store-errors.js';
import type { ContractKit } from './contract-kit.js';

/** The `JobStore` contract, part: Leases, fencing tokens and lease holders. @internal */
export function leaseContract(k: ContractKit): void {
  const { describe, it, expect, rejects, newJob } = k;
  describe('leases and fencing tokens', () => {
    it('every acquisition increments the fencing token', async () => {
      await k.store.createJob(newJob('j'));
      const l1 = await k.store.acquireLease('j', 'h1', 1_000, 10_000);
      expect(l1).toMatchObject({ jobId: 'j', holder: 'h1', token: 1, expiresAt: 11_000 });
      await k.store.releaseLease(l1);
      const l2 = await k.store.acquireLease('j', 'h2', 1_000, 10_500);
      expect(l2.token).toBe(2);
      expect((await k.store.getJob('j')).fencingToken).toBe(2);
      const l3 = await k.store.acquireLease('j', 'h3', 1_000, 20_000);
      expect(l3.token).toBe(3);
    });

    it('a lease is held until its TTL expires, then another holder takes over', async () => {
      await k.store.createJob(newJob('j'));
      await k.store.acquireLease('j', 'h1', 1_000, 10_000);
      const err = await rejects(k.store.acquireLease('j', 'h2', 1_000, 10_999), LeaseHeldError);
      expect(err).toMatchObject({ jobId: 'j', holder: 'h1' });
      expect((await k.store.getJob('j')).fencingToken).toBe(1);
      const taken = await k.store.acquireLease('j', 'h2', 1_000, 11_000);
      expect(taken).toMatchObject({ holder: 'h2', token: 2 });
    });

    it('renewLease extends the lease from now', async () => {
      await k.store.createJob(newJob('j'));
      const l1 = await k.store.acquireLease('j', 'h1', 1_000, 10_000);
      const renewed = await k.store.renewLease(l1, 1_000, 10_800);
      expect(renewed).toMatchObject({ jobId: 'j', holder: 'h1', token: 1, expiresAt: 11_800 });
      await rejects(k.store.acquireLease('j', 'h2', 1_000, 11_500), LeaseHeldError);
      const taken = await k.store.acquireLease('j', 'h2', 1_000, 11_800);
      expect(taken.token).toBe(2);
    });

    it('releaseLease lets another holder acquire at once', async () => {
      await k.store.createJob(newJob('j'));
      const l1 = await k.store.acquireLease('j', 'h1', 60_000, 10_000);
      await k.store.releaseLease(l1);
      const l2 = await k.store.acquireLease('j', 'h2', 60_000, 10_001);
      expect(l2).toMatchObject({ holder: 'h2', token: 2 });
    });

    it('a stale token is rejected on commit, renew and release, and nothing is written', async () => {
      await k.store.createJob(newJob('j'));
      const old = await k.store.acquireLease('j', 'h1', 1_000, 10_000);
      await k.store.commit(old, {
        at: 10_100,
        job: { state: 'running' },
        steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 10_100 }],
        events: [{ type: 'step.started', stepId: 's0/n1/t0', data: { attempt: 1 } }],
      });
      const fresh = await k.store.acquireLease('j', 'h2', 1_000, 20_000);
      const stepsBefore = await k.store.getSteps('j');
      const eventsBefore = await k.store.listEvents('j');

      const err = await rejects(
        k.store.commit(old, {
          at: 20_100,
          job: { state: 'failed', error: { name: 'X', message: 'zombie', classification: 'unrecoverable' } },
          steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, finishedAt: 20_100 }],
          events: [{ type: 'step.succeeded', stepId: 's0/n1/t0', data: {} }],
        }),
        StaleFencingTokenError,
      );
      expect(err).toMatchObject({ jobId: 'j', presentedToken: 1, currentToken: 2 });
      await rejects(k.store.renewLease(old, 1_000, 20_200), StaleFencingTokenError);
      await rejects(k.store.releaseLease(old), StaleFencingTokenError);

      const job = await k.store.getJob('j');
      expect(job.state).toBe('running');
      expect(job.error).toBeUndefined();
      expect(job.updatedAt).toBe(10_100);
      expect(await k.store.getSteps('j')).toEqual(stepsBefore);
      expect(await k.store.listEvents('j')).toEqual(eventsBefore);
      // the new holder is unaffected
      await k.store.commit(fresh, { at: 20_300, job: { state: 'succeeded' } });
      expect((await k.store.getJob('j')).state).toBe('succeeded');
    });
  });

  describe('lease holders', () => {
    it('getLease shows the current holder, token and expiry (undefined when none)', async () => {
      await k.store.createJob(newJob('j'));
      expect(typeof k.store.getLease).toBe('function');
      expect(await k.store.getLease!('j')).toBeUndefined();
      const l = await k.store.acquireLease('j', 'host-a:123:0f0f', 1_000, 10_000);
      expect(await k.store.getLease!('j')).toEqual({ jobId: 'j', holder: 'host-a:123:0f0f', token: 1, expiresAt: 11_000 });
      await k.store.renewLease(l, 1_000, 10_500);
      expect((await k.store.getLease!('j'))!.expiresAt).toBe(11_500);
      await k.store.releaseLease(l);
      expect(await k.store.getLease!('j')).toBeUndefined();
      await rejects(k.store.getLease!('missing'), JobNotFoundError);
    });

    it('acquireLease with takeOverFrom takes an unexpired lease over from that holder only', async () => {
      await k.store.createJob(newJob('j'));
      await k.store.acquireLease('j', 'dead-runner', 60_000, 10_000);
      await rejects(k.store.acquireLease('j', 'me', 60_000, 10_001, { takeOverFrom: 'someone-else' }), LeaseHeldError);
      expect((await k.store.getJob('j')).fencingToken).toBe(1);
      const taken = await k.store.acquireLease('j', 'me', 60_000, 10_002, { takeOverFrom: 'dead-runner' });
      expect(taken).toMatchObject({ holder: 'me', token: 2, expiresAt: 70_002 });
    });
  });
}
