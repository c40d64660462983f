import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '@scylla-cp/core';
import { NodeShellService, ScyllaApiClientsService, ScyllaApiService, scyllaPlugin } from '../src/index.js';

const NODE_TASKS = [
  'scylla-bootstrap',
  'scylla-replace',
  'scylla-raft-stepdown',
  'scylla-drain',
  'systemd-stop-scylla-server',
  'systemd-start-service',
  'systemd-stop-service',
  'systemd-restart-service',
  'scylla-flush',
  'scylla-cleanup',
  'scylla-repair',
  'scylla-snapshot',
  'scylla-config-set',
  'scylla-decommission',
  'scylla-removenode',
  'run-command',
];
const CONDITIONS = ['topology-request-done', 'node-joined', 'topology-requests-idle', 'quorum-safe', 'cluster-normal', 'node-up-normal', 'schema-agreement', 'no-topology-change', 'scylla-pending-compactions', 'scylla-ring-unchanged'];

describe('scyllaPlugin', () => {
  const registry = new PluginRegistry().register(scyllaPlugin);

  it('registers every task and condition tag and the default services', () => {
    expect(registry.tags('nodeTask').map((t) => t.tag).sort()).toEqual([...NODE_TASKS].sort());
    expect(registry.tags('clusterTask').map((t) => t.tag)).toEqual(['scylla-removenode', 'scylla-cluster-cleanup', 'tablet-balancing', 'maintenance-marker']);
    expect(registry.tags('condition').map((t) => t.tag).sort()).toEqual([...CONDITIONS].sort());
    for (const key of [ScyllaApiService, ScyllaApiClientsService, NodeShellService]) expect(registry.services.has(key)).toBe(true);
  });

  it('builds tasks from snake_case params; a bare tag gives {}', () => {
    expect(registry.create('nodeTask', 'scylla-drain', {}).name()).toBe('scylla-drain');
    expect(registry.create('nodeTask', 'scylla-drain', {}).preconditions().map((c) => c.condition.name())).toEqual(['quorum-safe', 'cluster-normal']);
    expect(registry.create('nodeTask', 'systemd-start-service', { service: 'scylla-server' }).name()).toBe('systemd-start-service');
    expect(registry.create('condition', 'scylla-pending-compactions', { max: 10 }).name()).toBe('scylla-pending-compactions');
  });

  it('rejects unknown keys, missing keys and bad values', () => {
    expect(() => registry.create('nodeTask', 'scylla-drain', { retrys: 1 })).toThrow(/retrys/);
    expect(() => registry.create('nodeTask', 'systemd-start-service', {})).toThrow(/service/);
    expect(() => registry.create('nodeTask', 'systemd-start-service', { service: 'x; rm -rf /' })).toThrow(/unit/);
    expect(() => registry.create('nodeTask', 'scylla-removenode', { host_id: 'nope' })).toThrow(/host_id/);
    expect(() => registry.create('nodeTask', 'scylla-config-set', { settings: {} })).toThrow(/setting/);
    expect(() => registry.create('condition', 'scylla-pending-compactions', { max: -1 })).toThrow(/max/);
  });
});
