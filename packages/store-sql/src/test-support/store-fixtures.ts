import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobPlan, NewJob } from '@scylla-cp/core';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'scp-store-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A plan of `count` cluster steps `s0..s{count-1}` of tag `tag`. */
export function clusterPlan(cluster: string, count: number, tag = 'noop'): JobPlan {
  return {
    formatVersion: 1,
    workflowName: 'test',
    cluster,
    inventory: {
      name: cluster,
      nodes: [{ id: 'n1', address: '127.0.0.1', dc: 'dc1', rack: 'r1', zone: 'z1', labels: {}, connection: {} }],
      connection: {},
    },
    targeting: {},
    variables: {},
    steps: Array.from({ length: count }, (_, i) => ({
      kind: 'cluster-task' as const,
      id: `s${i}`,
      task: { tag, params: { i }, retries: 0, retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 10 } },
    })),
  };
}

/** A `NewJob` of a 3-step {@link clusterPlan} on cluster `c1` (override any field). */
export function newJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
  const cluster = overrides.cluster ?? 'c1';
  return {
    id,
    cluster,
    operator: 'alice',
    workflowName: 'test',
    workflowText: 'name: test\n',
    plan: clusterPlan(cluster, 3),
    at: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}
