// Shared by the store benchmarks (pg-vs-dbos, store-overhead): a plugin with one no-op node task
// and the plan of a rolling operation over it (one node workflow, one zone, one node at a time,
// `tasks` no-op tasks per node). Not a bench itself (run.ts skips files starting with `_`).
import { z } from 'zod';
import { definePlugin, type JobPlan, type ScyllaCpPlugin } from '@scylla-cp/core';

/** A plugin `bench-noop` with the node task `!noop`, which calls `onStep` and does nothing else. */
export function noopPlugin(onStep: () => void = () => {}): ScyllaCpPlugin {
  return definePlugin({
    name: 'bench-noop',
    version: '1.0.0',
    nodeTasks: {
      noop: {
        description: 'does nothing',
        params: z.object({}).strict(),
        create: () => ({
          name: () => 'noop',
          preconditions: () => [],
          execute: async () => {
            onStep();
            return undefined;
          },
        }),
      },
    },
  });
}

/** A plan of `nodes` nodes (one zone) x `tasks` `!noop` steps, one node at a time. */
export function noopPlan(cluster: string, nodes: number, tasks: number): JobPlan {
  const inventoryNodes = Array.from({ length: nodes }, (_, i) => ({
    id: `node-${i}`,
    address: `10.0.${i >> 8}.${i & 255}`,
    dc: 'dc1',
    rack: 'r1',
    zone: 'z1',
    labels: {},
    connection: {},
  }));
  return {
    formatVersion: 1,
    workflowName: 'noop',
    cluster,
    inventory: { name: cluster, nodes: inventoryNodes, connection: {} },
    targeting: {},
    variables: {},
    steps: [
      {
        kind: 'node-workflow',
        id: 's0',
        name: 'noop',
        concurrencyUnit: 'zone',
        concurrencyLimit: 1,
        abortOnFirstFailure: true,
        tasks: Array.from({ length: tasks }, () => ({ tag: 'noop', params: {}, retries: 0, retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 1 } })),
        batches: [{ id: 's0/b0', unit: 'z1', nodes: inventoryNodes.map((n) => n.id) }],
      },
    ],
  };
}

/** The median of `xs` (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
