import type { JobPlan } from '../../plan/job-plan.js';

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
