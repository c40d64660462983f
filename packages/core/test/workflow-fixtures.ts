import { z } from 'zod';
import {
  ConditionCheck,
  corePlugin,
  definePlugin,
  PluginRegistry,
  type ClusterCondition,
  type ExecuteClusterTask,
  type ExecuteNodeTask,
  type NodeCondition,
} from '@scylla-cp/core';

/** Test-only stand-ins for the Scylla and Prometheus plugins: same tags and schemas, no behaviour. */
function nodeTask(name: string): ExecuteNodeTask {
  return { name: () => name, preconditions: () => [], execute: async () => undefined };
}
function clusterTask(name: string): ExecuteClusterTask {
  return { name: () => name, preconditions: () => [], execute: async () => undefined };
}

export const standInScyllaPlugin = definePlugin({
  name: 'stand-in-tasks-scylla',
  version: '0.0.1',
  nodeTasks: {
    'scylla-drain': { description: 'drain', params: z.strictObject({}), create: () => nodeTask('scylla-drain') },
    'systemd-stop-scylla-server': { description: 'stop', params: z.strictObject({}), create: () => nodeTask('systemd-stop-scylla-server') },
    'systemd-start-service': {
      description: 'start a unit',
      params: z.strictObject({ service: z.string().min(1) }),
      create: () => nodeTask('systemd-start-service'),
    },
    'scylla-flush': {
      description: 'flush',
      params: z.strictObject({ keyspace: z.string().optional(), tables: z.array(z.string()).optional() }),
      create: () => nodeTask('scylla-flush'),
    },
  },
  clusterTasks: {
    'scylla-repair': {
      description: 'repair',
      params: z.strictObject({ keyspace: z.string(), parallel: z.int().min(1).max(16).optional(), dry_run: z.boolean().optional() }),
      create: () => clusterTask('scylla-repair'),
    },
  },
  conditions: {
    'node-up': {
      description: 'node is UN',
      scope: 'node',
      params: z.strictObject({}),
      create: (): NodeCondition => ({ name: () => 'node-up', check: async () => ({ ok: true, detail: 'UN' }) }),
    },
    'cluster-normal': {
      description: 'every node UN',
      scope: 'cluster',
      params: z.strictObject({}),
      create: (): ClusterCondition => ({ name: () => 'cluster-normal', check: async () => ({ ok: true, detail: 'all UN' }) }),
    },
  },
});

export const standInPrometheusPlugin = definePlugin({
  name: 'stand-in-conditions',
  version: '0.0.1',
  conditions: {
    'compactions-nominal': {
      description: 'compactions nominal',
      scope: 'node',
      params: z.strictObject({ max_pending: z.int().min(0).optional(), max_running: z.int().min(0).optional() }),
      create: (): NodeCondition => ({ name: () => 'compactions-nominal', check: async () => ({ ok: true, detail: 'ok' }) }),
    },
  },
});

/** A registry with core and the stand-ins. */
export function standInRegistry(): PluginRegistry {
  return new PluginRegistry().register(corePlugin, standInScyllaPlugin, standInPrometheusPlugin);
}

export { ConditionCheck };
