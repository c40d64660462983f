import type { JobStore, Lease, NewJob } from '../job-store.js';
import { contractPlan, type ContractAssertion, type ContractTestApi } from './contract-api.js';

/** What each part of the contract suite works with: the test functions, the store of the current test and helpers. @internal */
export interface ContractKit {
  describe: ContractTestApi['describe'];
  it: ContractTestApi['it'];
  expect(actual: unknown): ContractAssertion;
  /** The store of the test that runs (a new, empty one per test). */
  readonly store: JobStore;
  /** Asserts that `promise` rejects with an instance of `kind`; returns the error. */
  rejects(promise: Promise<unknown>, kind: abstract new (...args: never[]) => unknown): Promise<unknown>;
  /** A new job `id` on cluster `c1` (or `overrides.cluster`) with the contract plan. */
  newJob(id: string, overrides?: Partial<NewJob>): NewJob;
  /** Creates a job, leases it and moves it to `state`. */
  jobIn(id: string, state: 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled', overrides?: Partial<NewJob>): Promise<Lease>;
}

/** The kit over `t`, reading the current store through `current`. @internal */
export function contractKit(t: ContractTestApi, current: () => JobStore): ContractKit {
  const { expect } = t;
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
    return { id, cluster, operator: 'alice', workflowName: 'contract', workflowText: 'name: contract\n', plan: contractPlan(cluster), at: 1_000, ...overrides };
  }
  async function jobIn(id: string, state: 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled', overrides: Partial<NewJob> = {}): Promise<Lease> {
    const store = current();
    await store.createJob(newJob(id, overrides));
    const lease = await store.acquireLease(id, `runner-${id}`, 10_000, 2_000);
    await store.commit(lease, { at: 2_000, job: { state } });
    return lease;
  }
  return {
    describe: t.describe,
    it: t.it,
    expect,
    get store() {
      return current();
    },
    rejects,
    newJob,
    jobIn,
  };
}
