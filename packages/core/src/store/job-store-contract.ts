import { ClusterLockedError, ControlRequestedError, JobFinishedError, JobNotFoundError, LeaseHeldError, StaleFencingTokenError } from '../errors/store-errors.js';
import type { JobPlan } from '../plan/job-plan.js';
import { isCompletedStepState, type JobStore, type Lease, type NewJob, type Transition } from './job-store.js';

/** The assertions the contract suite uses (a subset of vitest's / jest's `expect`). */
export interface ContractAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toHaveLength(length: number): void;
  toBeUndefined(): void;
  toBeGreaterThan(n: number): void;
}

/**
 * The test functions the contract suite needs; pass vitest's (or jest's):
 * `jobStoreContract('SqliteStore', make, { describe, it, expect, beforeEach, afterEach })`.
 */
export interface ContractTestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>): void;
  expect(actual: unknown): ContractAssertion;
  beforeEach(fn: () => Promise<void> | void): void;
  afterEach(fn: () => Promise<void> | void): void;
}

/** A small valid plan for the contract tests. */
export function contractPlan(cluster = 'c1'): JobPlan {
  return {
    formatVersion: 1,
    workflowName: 'contract',
    cluster,
    inventory: {
      name: cluster,
      nodes: [{ id: 'n1', address: '10.0.0.1', dc: 'dc1', rack: 'r1', zone: 'z1', labels: {}, connection: {} }],
      connection: {},
    },
    targeting: {},
    variables: { keyspace: 'ks', limit: 3 },
    steps: [
      {
        kind: 'node-workflow',
        id: 's0',
        name: 'restart',
        concurrencyUnit: 'zone',
        concurrencyLimit: 1,
        abortOnFirstFailure: true,
        tasks: [{ tag: 'noop', params: {}, retries: 0, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 } }],
        batches: [{ id: 's0/b0', unit: 'z1', nodes: ['n1'] }],
      },
    ],
  };
}

/**
 * The `JobStore` contract as a test suite. Every store implementation runs it
 * unchanged; it does not import a test framework, the caller passes one in:
 *
 * ```ts
 * import { describe, it, expect, beforeEach, afterEach } from 'vitest';
 * jobStoreContract('SqliteStore', async () => SqliteStore.open(tmpFile()), { describe, it, expect, beforeEach, afterEach });
 * ```
 *
 * `makeStore` must return a new, empty store each time; the suite closes it
 * after each test. Times are arbitrary ms values; the suite never reads a
 * real clock.
 */
export function jobStoreContract(name: string, makeStore: () => Promise<JobStore>, t: ContractTestApi): void {
  const { describe, it, expect, beforeEach, afterEach } = t;

  async function rejects(promise: Promise<unknown>, kind: abstract new (...args: never[]) => unknown): Promise<unknown> {
    let error: unknown;
    let threw = false;
    try {
      await promise;
    } catch (e) {
      threw = true;
      error = e;
    }
    expect(threw).toBe(true);
    expect({ instanceOf: error instanceof kind, error: String(error) }).toMatchObject({ instanceOf: true });
    return error;
  }

  function newJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
    const cluster = overrides.cluster ?? 'c1';
    return {
      id,
      cluster,
      operator: 'alice',
      workflowName: 'contract',
      workflowText: 'name: contract\n',
      plan: contractPlan(cluster),
      at: 1_000,
      ...overrides,
    };
  }

  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    /** Creates a job, leases it and moves it to `state`. */
    async function jobIn(id: string, state: 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled', overrides: Partial<NewJob> = {}): Promise<Lease> {
      await store.createJob(newJob(id, overrides));
      const lease = await store.acquireLease(id, `runner-${id}`, 10_000, 2_000);
      await store.commit(lease, { at: 2_000, job: { state } });
      return lease;
    }

    describe('jobs', () => {
      it('createJob stores the job as pending with fencing token 0 and the plan intact', async () => {
        const created = await store.createJob(newJob('j1', { at: 1_234 }));
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
        const got = await store.getJob('j1');
        expect(got.plan).toEqual(contractPlan('c1'));
        expect(got.state).toBe('pending');
        expect(got.error).toBeUndefined();
        expect(got.control).toBeUndefined();
      });

      it('getJob, acquireLease and requestControl throw JobNotFoundError for an unknown id', async () => {
        await rejects(store.getJob('nope'), JobNotFoundError);
        await rejects(store.acquireLease('nope', 'h', 1_000, 0), JobNotFoundError);
        await rejects(store.requestControl('nope', 'pause', 0), JobNotFoundError);
      });

      it('a second job with the same id is refused', async () => {
        await store.createJob(newJob('j1'));
        let threw = false;
        try {
          await store.createJob(newJob('j1', { cluster: 'other', at: 5_000 }));
        } catch {
          threw = true;
        }
        expect(threw).toBe(true);
        expect((await store.getJob('j1')).cluster).toBe('c1');
      });

      it('listJobs returns newest first, filters by cluster and states, and honours limit (default 50)', async () => {
        await store.createJob(newJob('a', { at: 100 }));
        await store.createJob(newJob('b', { at: 300, cluster: 'c2' }));
        await store.createJob(newJob('c', { at: 200, allowConcurrent: true }));
        const lease = await store.acquireLease('a', 'h', 1_000, 400);
        await store.commit(lease, { at: 400, job: { state: 'succeeded' } });

        expect((await store.listJobs()).map((j) => j.id)).toEqual(['b', 'c', 'a']);
        expect((await store.listJobs({ cluster: 'c1' })).map((j) => j.id)).toEqual(['c', 'a']);
        expect((await store.listJobs({ states: ['succeeded'] })).map((j) => j.id)).toEqual(['a']);
        expect((await store.listJobs({ states: ['pending', 'succeeded'], cluster: 'c1' })).map((j) => j.id)).toEqual(['c', 'a']);
        expect((await store.listJobs({ limit: 2 })).map((j) => j.id)).toEqual(['b', 'c']);

        for (let i = 0; i < 55; i++) await store.createJob(newJob(`many-${i}`, { at: 1_000 + i, cluster: 'c3', allowConcurrent: true }));
        const page = await store.listJobs({ cluster: 'c3' });
        expect(page).toHaveLength(50);
        expect(page[0]!.id).toBe('many-54');
      });
    });

    describe('job counts', () => {
      it('countJobsByState counts every job by state (every state present), and by cluster when asked', async () => {
        expect(typeof store.countJobsByState).toBe('function');
        const zero = { pending: 0, running: 0, paused: 0, succeeded: 0, failed: 0, cancelled: 0 };
        expect(await store.countJobsByState!()).toEqual(zero);
        await jobIn('b', 'succeeded');
        await jobIn('a', 'running');
        await jobIn('c', 'succeeded', { cluster: 'c2' });
        await jobIn('d', 'failed', { cluster: 'c3' });
        await store.createJob(newJob('e', { cluster: 'c4' }));
        expect(await store.countJobsByState!()).toEqual({ ...zero, pending: 1, running: 1, succeeded: 2, failed: 1 });
        expect(await store.countJobsByState!({ cluster: 'c2' })).toEqual({ ...zero, succeeded: 1 });
        expect(await store.countJobsByState!({ cluster: 'nowhere' })).toEqual(zero);
      });
    });

    describe('cluster lock', () => {
      for (const state of ['pending', 'running', 'paused'] as const) {
        it(`a ${state} job locks its cluster: createJob throws ClusterLockedError naming it and its operator`, async () => {
          if (state === 'pending') await store.createJob(newJob('first', { operator: 'bob' }));
          else await jobIn('first', state, { operator: 'bob' });
          const err = await rejects(store.createJob(newJob('second', { at: 3_000 })), ClusterLockedError);
          expect(err).toMatchObject({ cluster: 'c1', heldByJobId: 'first', heldByOperator: 'bob', heldByState: state });
          await rejects(store.getJob('second'), JobNotFoundError);
        });
      }

      it('another cluster is not locked, and allowConcurrent bypasses the lock', async () => {
        await store.createJob(newJob('first'));
        await store.createJob(newJob('other-cluster', { cluster: 'c2' }));
        const concurrent = await store.createJob(newJob('concurrent', { allowConcurrent: true }));
        expect(concurrent.state).toBe('pending');
      });

      it('a failed job keeps the cluster lock (a node may be down mid-operation) until it is retried or cancelled', async () => {
        const lease = await jobIn('first', 'failed', { operator: 'bob' });
        const err = await rejects(store.createJob(newJob('second', { at: 3_000 })), ClusterLockedError);
        expect(err).toMatchObject({ heldByJobId: 'first', heldByOperator: 'bob', heldByState: 'failed' });
        await store.commit(lease, { at: 4_000, job: { state: 'cancelled' } });
        expect((await store.createJob(newJob('second', { at: 5_000 }))).state).toBe('pending');
      });

      for (const state of ['succeeded', 'cancelled'] as const) {
        it(`a ${state} job no longer locks its cluster`, async () => {
          await jobIn('first', state);
          const second = await store.createJob(newJob('second', { at: 3_000 }));
          expect(second.state).toBe('pending');
        });
      }

      it('commit moving a failed job back to running re-checks the lock and writes nothing when refused', async () => {
        const leaseA = await jobIn('a', 'failed');
        await store.createJob(newJob('b', { at: 3_000, operator: 'carol', allowConcurrent: true }));
        const eventsBefore = await store.listEvents('a');
        const err = await rejects(
          store.commit(leaseA, {
            at: 4_000,
            job: { state: 'running', error: null },
            steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1 }],
            events: [{ type: 'job.resumed', data: {} }],
          }),
          ClusterLockedError,
        );
        expect(err).toMatchObject({ heldByJobId: 'b', heldByOperator: 'carol' });
        expect((await store.getJob('a')).state).toBe('failed');
        expect(await store.getSteps('a')).toEqual([]);
        expect(await store.listEvents('a')).toEqual(eventsBefore);

        const leaseB = await store.acquireLease('b', 'hb', 1_000, 5_000);
        await store.commit(leaseB, { at: 5_000, job: { state: 'cancelled' } });
        await store.commit(leaseA, { at: 6_000, job: { state: 'running', error: null } });
        expect((await store.getJob('a')).state).toBe('running');
      });
    });

    describe('leases and fencing tokens', () => {
      it('every acquisition increments the fencing token', async () => {
        await store.createJob(newJob('j'));
        const l1 = await store.acquireLease('j', 'h1', 1_000, 10_000);
        expect(l1).toMatchObject({ jobId: 'j', holder: 'h1', token: 1, expiresAt: 11_000 });
        await store.releaseLease(l1);
        const l2 = await store.acquireLease('j', 'h2', 1_000, 10_500);
        expect(l2.token).toBe(2);
        expect((await store.getJob('j')).fencingToken).toBe(2);
        const l3 = await store.acquireLease('j', 'h3', 1_000, 20_000);
        expect(l3.token).toBe(3);
      });

      it('a lease is held until its TTL expires, then another holder takes over', async () => {
        await store.createJob(newJob('j'));
        await store.acquireLease('j', 'h1', 1_000, 10_000);
        const err = await rejects(store.acquireLease('j', 'h2', 1_000, 10_999), LeaseHeldError);
        expect(err).toMatchObject({ jobId: 'j', holder: 'h1' });
        expect((await store.getJob('j')).fencingToken).toBe(1);
        const taken = await store.acquireLease('j', 'h2', 1_000, 11_000);
        expect(taken).toMatchObject({ holder: 'h2', token: 2 });
      });

      it('renewLease extends the lease from now', async () => {
        await store.createJob(newJob('j'));
        const l1 = await store.acquireLease('j', 'h1', 1_000, 10_000);
        const renewed = await store.renewLease(l1, 1_000, 10_800);
        expect(renewed).toMatchObject({ jobId: 'j', holder: 'h1', token: 1, expiresAt: 11_800 });
        await rejects(store.acquireLease('j', 'h2', 1_000, 11_500), LeaseHeldError);
        const taken = await store.acquireLease('j', 'h2', 1_000, 11_800);
        expect(taken.token).toBe(2);
      });

      it('releaseLease lets another holder acquire at once', async () => {
        await store.createJob(newJob('j'));
        const l1 = await store.acquireLease('j', 'h1', 60_000, 10_000);
        await store.releaseLease(l1);
        const l2 = await store.acquireLease('j', 'h2', 60_000, 10_001);
        expect(l2).toMatchObject({ holder: 'h2', token: 2 });
      });

      it('a stale token is rejected on commit, renew and release, and nothing is written', async () => {
        await store.createJob(newJob('j'));
        const old = await store.acquireLease('j', 'h1', 1_000, 10_000);
        await store.commit(old, {
          at: 10_100,
          job: { state: 'running' },
          steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 10_100 }],
          events: [{ type: 'step.started', stepId: 's0/n1/t0', data: { attempt: 1 } }],
        });
        const fresh = await store.acquireLease('j', 'h2', 1_000, 20_000);
        const stepsBefore = await store.getSteps('j');
        const eventsBefore = await store.listEvents('j');

        const err = await rejects(
          store.commit(old, {
            at: 20_100,
            job: { state: 'failed', error: { name: 'X', message: 'zombie', classification: 'unrecoverable' } },
            steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, finishedAt: 20_100 }],
            events: [{ type: 'step.succeeded', stepId: 's0/n1/t0', data: {} }],
          }),
          StaleFencingTokenError,
        );
        expect(err).toMatchObject({ jobId: 'j', presentedToken: 1, currentToken: 2 });
        await rejects(store.renewLease(old, 1_000, 20_200), StaleFencingTokenError);
        await rejects(store.releaseLease(old), StaleFencingTokenError);

        const job = await store.getJob('j');
        expect(job.state).toBe('running');
        expect(job.error).toBeUndefined();
        expect(job.updatedAt).toBe(10_100);
        expect(await store.getSteps('j')).toEqual(stepsBefore);
        expect(await store.listEvents('j')).toEqual(eventsBefore);
        // the new holder is unaffected
        await store.commit(fresh, { at: 20_300, job: { state: 'succeeded' } });
        expect((await store.getJob('j')).state).toBe('succeeded');
      });
    });

    describe('commit', () => {
      it('applies job state, step upserts and events together', async () => {
        await store.createJob(newJob('j'));
        const lease = await store.acquireLease('j', 'h', 60_000, 5_000);
        await store.commit(lease, {
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
        let job = await store.getJob('j');
        expect(job.state).toBe('running');
        expect(job.updatedAt).toBe(5_000);

        const err = { name: 'RecoverableError', message: 'connection refused', code: 'ECONNREFUSED', classification: 'recoverable' as const };
        await store.commit(lease, { at: 6_000, steps: [{ stepId: 's0/n1/t0', state: 'running', attempts: 2, lastError: err }] });
        let steps = (await store.getSteps('j')).sort((a, b) => a.stepId.localeCompare(b.stepId));
        expect(steps).toHaveLength(2);
        expect(steps[0]).toMatchObject({ jobId: 'j', stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 2, startedAt: 5_000, lastError: err });
        expect(steps[1]).toMatchObject({ jobId: 'j', stepId: 's1', state: 'pending', attempts: 0 });

        await store.commit(lease, {
          at: 7_000,
          steps: [{ stepId: 's0/n1/t0', state: 'succeeded', attempts: 2, finishedAt: 7_000, lastError: null, result: { drained: true, n: [1, 2] } }],
        });
        steps = (await store.getSteps('j')).sort((a, b) => a.stepId.localeCompare(b.stepId));
        expect(steps[0]).toMatchObject({ state: 'succeeded', attempts: 2, startedAt: 5_000, finishedAt: 7_000, result: { drained: true, n: [1, 2] } });
        expect(steps[0]!.lastError).toBeUndefined();

        const failure = { name: 'UnrecoverableError', message: 'node down', classification: 'unrecoverable' as const, details: { node: 'n1' } };
        await store.commit(lease, { at: 8_000, job: { state: 'failed', error: failure } });
        job = await store.getJob('j');
        expect(job).toMatchObject({ state: 'failed', error: failure, updatedAt: 8_000 });
        await store.commit(lease, { at: 9_000, job: { state: 'failed', error: null } });
        expect((await store.getJob('j')).error).toBeUndefined();
      });

      it('getResumeRecords, where implemented, holds the same records as getSteps, completed ones by id', async () => {
        await store.createJob(newJob('j'));
        await store.createJob(newJob('other', { cluster: 'c2' }));
        const lease = await store.acquireLease('j', 'h', 60_000, 5_000);
        const err = { name: 'UnrecoverableError', message: 'boom', classification: 'unrecoverable' as const };
        await store.commit(lease, {
          at: 5_000,
          steps: [
            { stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, startedAt: 5_000, finishedAt: 5_000, result: { a: 1 } },
            { stepId: 's0/n1/t1', nodeId: 'n1', state: 'skipped', attempts: 0 },
            { stepId: 's0/n2/t0', nodeId: 'n2', state: 'running', attempts: 2, startedAt: 5_000, result: { partial: true } },
            { stepId: 's0/n3/t0', nodeId: 'n3', state: 'failed', attempts: 1, lastError: err },
            { stepId: 's1', state: 'pending', attempts: 0 },
          ],
        });
        const all = await store.getSteps('j');
        const fromSteps = {
          completed: all.filter((r) => isCompletedStepState(r.state)).map((r) => r.stepId).sort(),
          open: all.filter((r) => !isCompletedStepState(r.state)).sort((a, b) => a.stepId.localeCompare(b.stepId)),
        };
        expect(fromSteps.completed).toEqual(['s0/n1/t0', 's0/n1/t1']);
        expect(fromSteps.open).toHaveLength(3);
        if (store.getResumeRecords === undefined) return;
        const rr = await store.getResumeRecords('j');
        expect([...rr.completedStepIds].sort()).toEqual(fromSteps.completed);
        expect([...rr.openRecords].sort((a, b) => a.stepId.localeCompare(b.stepId))).toEqual(fromSteps.open);
        expect(await store.getResumeRecords('other')).toEqual({ completedStepIds: [], openRecords: [] });
        await rejects(store.getResumeRecords('missing'), JobNotFoundError);
      });

      it('records returned by the store are copies', async () => {
        await store.createJob(newJob('j'));
        const lease = await store.acquireLease('j', 'h', 60_000, 5_000);
        await store.commit(lease, { at: 5_000, steps: [{ stepId: 'x', state: 'running', attempts: 1, result: { a: 1 } }] });
        const [step] = await store.getSteps('j');
        step!.state = 'succeeded';
        (step!.result as { a: number }).a = 2;
        expect((await store.getSteps('j'))[0]).toMatchObject({ state: 'running', result: { a: 1 } });
      });
    });

    describe('step hand-off: a step\'s success and the next step\'s start in one commit', () => {
      /** What the engine commits when step t0 of node n1 succeeds and t1 starts at once. */
      const handOff = (at: number): Transition => ({
        at,
        steps: [
          { stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, finishedAt: at, lastError: null },
          { stepId: 's0/n1/t1', nodeId: 'n1', state: 'running', attempts: 1, startedAt: at, lastError: null },
        ],
        events: [
          { type: 'step.succeeded', stepId: 's0/n1/t0', data: { attempt: 1 } },
          { type: 'step.started', stepId: 's0/n1/t1', data: { attempt: 1, nodeId: 'n1', task: 'noop' } },
        ],
      });
      const startT0 = (lease: Lease, at: number) =>
        store.commit(lease, {
          at,
          steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: at, lastError: null }],
          events: [{ type: 'step.started', stepId: 's0/n1/t0', data: { attempt: 1 } }],
        });

      it('records both steps and both events, the success first, at the commit time', async () => {
        const lease = await jobIn('j', 'running');
        await startT0(lease, 5_000);
        await store.commit(lease, handOff(6_000));
        const steps = (await store.getSteps('j')).sort((a, b) => a.stepId.localeCompare(b.stepId));
        expect(steps).toEqual([
          { jobId: 'j', stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, startedAt: 5_000, finishedAt: 6_000 },
          { jobId: 'j', stepId: 's0/n1/t1', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 6_000 },
        ]);
        const events = (await store.listEvents('j')).slice(-2);
        expect(events.map((e) => [e.type, e.stepId, e.at])).toEqual([
          ['step.succeeded', 's0/n1/t0', 6_000],
          ['step.started', 's0/n1/t1', 6_000],
        ]);
        expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
      });

      it('a zombie runner\'s hand-off is refused wholly (StaleFencingTokenError): neither the success nor the start is written', async () => {
        await store.createJob(newJob('j'));
        const zombie = await store.acquireLease('j', 'h1', 1_000, 10_000);
        await store.commit(zombie, { at: 10_000, job: { state: 'running' } });
        await startT0(zombie, 10_100);
        const fresh = await store.acquireLease('j', 'h2', 1_000, 20_000); // h1's lease expired
        const stepsBefore = await store.getSteps('j');
        const eventsBefore = await store.listEvents('j');
        const jobBefore = await store.getJob('j');

        const err = await rejects(store.commit(zombie, handOff(20_100)), StaleFencingTokenError);
        expect(err).toMatchObject({ jobId: 'j', presentedToken: 1, currentToken: 2 });
        expect(await store.getSteps('j')).toEqual(stepsBefore);
        expect(await store.listEvents('j')).toEqual(eventsBefore);
        expect(await store.getJob('j')).toEqual(jobBefore);
        if (store.getResumeRecords) expect((await store.getResumeRecords('j')).completedStepIds).toEqual([]);

        // The new holder, which runs t0 again, hands off under its own token.
        await store.commit(fresh, handOff(20_200));
        const states = Object.fromEntries((await store.getSteps('j')).map((s) => [s.stepId, s.state]));
        expect(states).toEqual({ 's0/n1/t0': 'succeeded', 's0/n1/t1': 'running' });
      });

      it('with commitChecksControl: a start marked unlessControlRequested is refused wholly while a request is pending (ControlRequestedError), applied once it is cleared', async () => {
        expect(store.commitChecksControl).toBe(true);
        const lease = await jobIn('j', 'running');
        await startT0(lease, 5_000);
        await store.requestControl('j', 'pause', 5_500);
        const stepsBefore = await store.getSteps('j');
        const eventsBefore = await store.listEvents('j');
        const err = await rejects(store.commit(lease, { ...handOff(6_000), unlessControlRequested: true }), ControlRequestedError);
        expect(err).toMatchObject({ jobId: 'j', request: 'pause' });
        expect(await store.getSteps('j')).toEqual(stepsBefore);
        expect(await store.listEvents('j')).toEqual(eventsBefore);
        // Without the mark (the success alone, as the engine then records it) the commit applies.
        await store.commit(lease, { at: 6_100, steps: [handOff(6_100).steps![0]!], events: [handOff(6_100).events![0]!] });
        expect(Object.fromEntries((await store.getSteps('j')).map((s) => [s.stepId, s.state]))).toEqual({ 's0/n1/t0': 'succeeded' });
        // Once the request is acted on and cleared, a marked start applies.
        await store.commit(lease, { at: 6_200, job: { state: 'running', clearControl: true } });
        await store.commit(lease, { ...handOff(6_300), unlessControlRequested: true });
        expect((await store.getSteps('j')).find((s) => s.stepId === 's0/n1/t1')?.state).toBe('running');
      });

      it('a zombie\'s marked start is refused for its stale token first, even with a request pending', async () => {
        await store.createJob(newJob('j'));
        const zombie = await store.acquireLease('j', 'h1', 1_000, 10_000);
        await store.commit(zombie, { at: 10_000, job: { state: 'running' } });
        await startT0(zombie, 10_100);
        await store.acquireLease('j', 'h2', 1_000, 20_000);
        await store.requestControl('j', 'cancel', 20_050);
        const stepsBefore = await store.getSteps('j');
        await rejects(store.commit(zombie, { ...handOff(20_100), unlessControlRequested: true }), StaleFencingTokenError);
        expect(await store.getSteps('j')).toEqual(stepsBefore);
      });

      it('a hand-off to a job that ended meanwhile is refused wholly (JobFinishedError)', async () => {
        const lease = await jobIn('j', 'running');
        await startT0(lease, 5_000);
        await store.commit(lease, { at: 5_500, job: { state: 'cancelled' } });
        const stepsBefore = await store.getSteps('j');
        const eventsBefore = await store.listEvents('j');
        await rejects(store.commit(lease, handOff(6_000)), JobFinishedError);
        expect(await store.getSteps('j')).toEqual(stepsBefore);
        expect(await store.listEvents('j')).toEqual(eventsBefore);
      });
    });

    describe('events', () => {
      it('are listed in sequence order, with afterSeq and limit, and carry type, step, data and time', async () => {
        await store.createJob(newJob('j'));
        await store.createJob(newJob('k', { allowConcurrent: true }));
        const lj = await store.acquireLease('j', 'h', 60_000, 1_000);
        const lk = await store.acquireLease('k', 'h', 60_000, 1_000);
        for (let i = 0; i < 5; i++) {
          await store.commit(lj, { at: 2_000 + i, events: [{ type: `e${i}`, stepId: `s${i}`, data: { i } }] });
          await store.commit(lk, { at: 2_000 + i, events: [{ type: `k${i}`, data: { i } }] });
        }
        await store.commit(lj, { at: 3_000, events: [{ type: 'a', data: {} }, { type: 'b', data: { nested: { x: [1] } } }] });
        const all = await store.listEvents('j');
        expect(all.map((e) => e.type)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'a', 'b']);
        for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
        expect(all[2]).toMatchObject({ jobId: 'j', at: 2_002, type: 'e2', stepId: 's2', data: { i: 2 } });
        expect(all[6]!.data).toEqual({ nested: { x: [1] } });
        const after = await store.listEvents('j', { afterSeq: all[3]!.seq });
        expect(after.map((e) => e.type)).toEqual(['e4', 'a', 'b']);
        const limited = await store.listEvents('j', { afterSeq: all[0]!.seq, limit: 2 });
        expect(limited.map((e) => e.type)).toEqual(['e1', 'e2']);
        expect((await store.listEvents('k')).map((e) => e.type)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      });
    });

    describe('final states', () => {
      for (const state of ['succeeded', 'cancelled'] as const) {
        it(`a ${state} job is final: every commit is refused with JobFinishedError and nothing is written`, async () => {
          const lease = await jobIn('j', state);
          const before = { job: await store.getJob('j'), steps: await store.getSteps('j'), events: await store.listEvents('j') };
          for (const t of [
            { at: 3_000, job: { state: 'running' as const, error: null } },
            { at: 3_000, job: { state: 'failed' as const } },
            { at: 3_000, job: { state: 'paused' as const }, steps: [{ stepId: 's0/n1/t0', state: 'running' as const, attempts: 1 }] },
            { at: 3_000, steps: [{ stepId: 's0/n1/t0', state: 'running' as const, attempts: 1 }], events: [{ type: 'step.started', data: {} }] },
          ]) {
            const err = await rejects(store.commit(lease, t), JobFinishedError);
            expect(err).toMatchObject({ jobId: 'j', state });
          }
          // a new lease does not revive it either
          const fresh = await store.acquireLease('j', 'other', 10_000, 50_000);
          await rejects(store.commit(fresh, { at: 50_000, job: { state: 'running' } }), JobFinishedError);
          expect(await store.getJob('j')).toMatchObject({ state, updatedAt: before.job.updatedAt });
          expect(await store.getSteps('j')).toEqual(before.steps);
          expect(await store.listEvents('j')).toEqual(before.events);
        });
      }

      it('a failed job may be resumed (retry) or cancelled', async () => {
        const lease = await jobIn('j', 'failed');
        await store.commit(lease, { at: 3_000, job: { state: 'running', error: null } });
        await store.commit(lease, { at: 4_000, job: { state: 'failed' } });
        await store.commit(lease, { at: 5_000, job: { state: 'cancelled' } });
        expect((await store.getJob('j')).state).toBe('cancelled');
      });
    });

    describe('step records', () => {
      it('startedAt keeps the first attempt time: a later startedAt does not move it', async () => {
        await store.createJob(newJob('j'));
        const lease = await store.acquireLease('j', 'h', 60_000, 5_000);
        await store.commit(lease, { at: 5_000, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 5_000 }] });
        await store.commit(lease, { at: 9_000, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'running', attempts: 1, startedAt: 9_000 }] });
        await store.commit(lease, { at: 9_500, steps: [{ stepId: 's0/n1/t0', nodeId: 'n1', state: 'succeeded', attempts: 1, startedAt: 9_500, finishedAt: 9_500 }] });
        expect((await store.getSteps('j'))[0]).toMatchObject({ startedAt: 5_000, finishedAt: 9_500 });
      });
    });

    describe('lease holders', () => {
      it('getLease shows the current holder, token and expiry (undefined when none)', async () => {
        await store.createJob(newJob('j'));
        expect(typeof store.getLease).toBe('function');
        expect(await store.getLease!('j')).toBeUndefined();
        const l = await store.acquireLease('j', 'host-a:123:0f0f', 1_000, 10_000);
        expect(await store.getLease!('j')).toEqual({ jobId: 'j', holder: 'host-a:123:0f0f', token: 1, expiresAt: 11_000 });
        await store.renewLease(l, 1_000, 10_500);
        expect((await store.getLease!('j'))!.expiresAt).toBe(11_500);
        await store.releaseLease(l);
        expect(await store.getLease!('j')).toBeUndefined();
        await rejects(store.getLease!('missing'), JobNotFoundError);
      });

      it('acquireLease with takeOverFrom takes an unexpired lease over from that holder only', async () => {
        await store.createJob(newJob('j'));
        await store.acquireLease('j', 'dead-runner', 60_000, 10_000);
        await rejects(store.acquireLease('j', 'me', 60_000, 10_001, { takeOverFrom: 'someone-else' }), LeaseHeldError);
        expect((await store.getJob('j')).fencingToken).toBe(1);
        const taken = await store.acquireLease('j', 'me', 60_000, 10_002, { takeOverFrom: 'dead-runner' });
        expect(taken).toMatchObject({ holder: 'me', token: 2, expiresAt: 70_002 });
      });
    });

    describe('plan re-binding', () => {
      it('a commit carrying a plan replaces the stored plan, atomically with its events', async () => {
        await store.createJob(newJob('j'));
        const lease = await store.acquireLease('j', 'h', 60_000, 5_000);
        const plan = contractPlan('c1');
        const rebound: JobPlan = { ...plan, inventory: { ...plan.inventory, nodes: plan.inventory.nodes.map((n) => ({ ...n, connection: { scylla_api: { port: 10001 } } })) } };
        await store.commit(lease, { at: 6_000, plan: rebound, events: [{ type: 'job.inventory-rebound', data: { nodes: 1 } }] });
        expect((await store.getJob('j')).plan).toEqual(rebound);
        expect((await store.listEvents('j')).map((e) => e.type)).toEqual(['job.inventory-rebound']);
      });
    });

    describe('control requests', () => {
      it('cancel-now is a control request too', async () => {
        await store.createJob(newJob('j'));
        await store.requestControl('j', 'cancel-now', 3_000);
        expect((await store.getJob('j')).control).toBe('cancel-now');
      });

      it('requestControl needs no lease; a commit with clearControl clears it', async () => {
        await store.createJob(newJob('j'));
        await store.requestControl('j', 'pause', 3_000);
        expect((await store.getJob('j')).control).toBe('pause');
        await store.requestControl('j', 'cancel', 3_100);
        expect((await store.getJob('j')).control).toBe('cancel');
        const lease = await store.acquireLease('j', 'h', 60_000, 4_000);
        await store.commit(lease, { at: 4_000, job: { state: 'running' } });
        expect((await store.getJob('j')).control).toBe('cancel');
        await store.commit(lease, { at: 5_000, job: { state: 'cancelled', clearControl: true } });
        const job = await store.getJob('j');
        expect(job.control).toBeUndefined();
        expect(job.state).toBe('cancelled');
      });
    });
  });
}
