import type { JobStore } from './job-store.js';
import type { ContractTestApi } from './contract/contract-api.js';
import { commitContract } from './contract/commit-contract.js';
import { contractKit } from './contract/contract-kit.js';
import { eventContract } from './contract/event-contract.js';
import { handOffContract } from './contract/hand-off-contract.js';
import { jobsContract } from './contract/jobs-contract.js';
import { leaseContract } from './contract/lease-contract.js';

export * from './contract/contract-api.js';

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
  t.describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    t.beforeEach(async () => {
      store = await makeStore();
    });
    t.afterEach(async () => {
      await store.close();
    });
    const k = contractKit(t, () => store);
    jobsContract(k);
    leaseContract(k);
    commitContract(k);
    handOffContract(k);
    eventContract(k);
  });
}
