import {
  ServiceRegistry,
  silentLogger,
  SystemClock,
  type Clock,
  type ClusterConditionContext,
  type ClusterInventory,
  type InventoryNode,
  type NodeConditionContext,
} from '@scylla-cp/core';

/** A node for an inventory; `target` becomes `connection.prometheus_target`. */
export function node(id: string, address: string, target?: string, extra: Partial<InventoryNode> = {}): InventoryNode {
  return {
    id,
    address,
    dc: 'dc1',
    rack: 'r1',
    zone: 'r1',
    labels: {},
    connection: target === undefined ? {} : { prometheus_target: target },
    ...extra,
  };
}

/** An inventory whose `connection.prometheus` is `prometheus`. */
export function inventory(nodes: InventoryNode[], prometheus: Record<string, unknown> = {}): ClusterInventory {
  return { name: 'test-cluster', nodes, connection: { prometheus } };
}

const job = { id: 'job-1', operator: 'tester', variables: {}, workflowName: 'test' };

/** A node condition context over `services`. */
export function nodeContext(
  services: ServiceRegistry,
  inv: ClusterInventory,
  n: InventoryNode,
  options: { signal?: AbortSignal; clock?: Clock } = {},
): NodeConditionContext {
  const signal = options.signal ?? new AbortController().signal;
  const clock = options.clock ?? new SystemClock();
  return {
    inventory: inv,
    node: n,
    job,
    logger: silentLogger,
    clock,
    signal,
    services: services.bind({ inventory: inv, node: n, job, clock, signal }),
    attempt: 1,
    stepId: `wait/${n.id}`,
  };
}

/** A cluster condition context over `services`. */
export function clusterContext(
  services: ServiceRegistry,
  inv: ClusterInventory,
  options: { signal?: AbortSignal; clock?: Clock } = {},
): ClusterConditionContext {
  const signal = options.signal ?? new AbortController().signal;
  const clock = options.clock ?? new SystemClock();
  return {
    inventory: inv,
    job,
    logger: silentLogger,
    clock,
    signal,
    services: services.bind({ inventory: inv, job, clock, signal }),
    attempt: 1,
    stepId: 'wait/cluster',
  };
}
