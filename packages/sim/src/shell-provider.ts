import { InvalidInputError, type ScyllaCpPlugin, type ServiceProvider } from '@scylla-cp/core';
import { NodeShellService, type NodeShell } from '@scylla-cp/tasks-scylla';
import type { SimClusterControl } from './sim-cluster-view.js';
import { SimShell } from './sim-shell.js';
import { simHttpShellFor } from './sim-http-shell.js';

function noNode(): never {
  throw new InvalidInputError('the node shell is only available at node scope (a node task or condition); this step has no node', {
    code: 'MISSING_NODE',
  });
}

/**
 * A provider of tasks-scylla's `NodeShellService` that gives every node task the in-process
 * {@link SimShell} of its node in `cluster` (inventory node ids must be the cluster's):
 * `registry.provide(simShellProvider(cluster))`.
 */
export function simShellProvider(cluster: SimClusterControl): ServiceProvider<NodeShell> {
  const cache = new Map<string, SimShell>();
  return {
    key: NodeShellService,
    create(scope) {
      const node = scope.node ?? noNode();
      let s = cache.get(node.id);
      if (!s) {
        s = new SimShell(cluster, node.id);
        cache.set(node.id, s);
      }
      return s;
    },
  };
}

/**
 * A provider of `NodeShellService` for a simulator running in another process: each node's
 * `connection.shell: { kind: 'sim', url }` gives a {@link SimHttpShell}. Nodes without it get
 * `fallback` (e.g. tasks-scylla's ssh provider), or an `InvalidInputError`.
 */
export function simHttpShellProvider(fallback?: ServiceProvider<NodeShell>): ServiceProvider<NodeShell> {
  return {
    key: NodeShellService,
    create(scope) {
      const node = scope.node ?? noNode();
      const s = simHttpShellFor(scope.inventory, node);
      if (s) return s;
      if (fallback) return fallback.create(scope);
      throw new InvalidInputError(`node ${node.id}: connection.shell.kind is not 'sim'; no simulator shell for it`, { code: 'INVALID_INVENTORY' });
    },
    dispose: () => fallback?.dispose?.(),
  };
}

/** The part of core's `PluginRegistry` that {@link simShellOverride} uses. */
export interface ShellOverrideTarget {
  plugins(): ScyllaCpPlugin[];
  provide<T>(provider: ServiceProvider<T>): unknown;
}

/**
 * Makes `registry` give nodes whose inventory says `connection.shell: { kind: 'sim', url }` a
 * {@link SimHttpShell} (the simulator runs in another process, e.g. `scylla-cp sim start`), and
 * every other node the `NodeShellService` provider its plugins registered (the last one wins).
 * Call it after registering the plugins.
 */
export function simShellOverride(registry: ShellOverrideTarget): void {
  const fallback = registry
    .plugins()
    .flatMap((p) => p.services ?? [])
    .filter((s) => s.key.id === NodeShellService.id)
    .pop() as ServiceProvider<NodeShell> | undefined;
  registry.provide(simHttpShellProvider(fallback));
}
