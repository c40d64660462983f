import type { ServiceProvider } from '@scylla-cp/core';
import { ScyllaApiProviders } from '@scylla-cp/tasks-scylla';
import type { SimClusterControl } from './sim-cluster-view.js';
import { simShellProvider } from './shell-provider.js';
import { simRequestPool } from './sim-request-pool.js';

/** The part of core's `PluginRegistry` (or `ServiceRegistry`) that {@link provideSimServices} uses. */
export interface ServiceTarget {
  provide<T>(provider: ServiceProvider<T>): unknown;
}

/**
 * Service providers that run tasks-scylla's tasks and conditions against `cluster` in-process
 * (no sockets; works under a `VirtualClock`): the REST clients (`ScyllaApiService`,
 * `ScyllaApiClientsService`) over {@link simRequestPool}, and the node shell over
 * {@link SimShell}. Inventory nodes that are not nodes of `cluster` get real undici clients.
 */
export function simServiceProviders(cluster: SimClusterControl): ServiceProvider<unknown>[] {
  const ids = new Set(cluster.nodes.map((n) => n.id));
  const api = new ScyllaApiProviders({ poolFactory: (node) => (ids.has(node.id) ? simRequestPool(cluster, node.id) : undefined) });
  return [api.nodeProvider(), api.clientsProvider(), simShellProvider(cluster)] as ServiceProvider<unknown>[];
}

/** Registers {@link simServiceProviders} on a registry (after the plugins, so they override their defaults). */
export function provideSimServices(registry: ServiceTarget, cluster: SimClusterControl): void {
  for (const p of simServiceProviders(cluster)) registry.provide(p);
}
