/**
 * One node of a cluster, as the operator's inventory describes it.
 */
export interface InventoryNode {
  /** Stable identifier, unique in the inventory (often the hostname). */
  id: string;
  /** Address the tools connect to (IP or DNS name). */
  address: string;
  /** Datacenter name as Scylla's snitch reports it. */
  dc: string;
  /** Rack name as Scylla's snitch reports it. */
  rack: string;
  /** Failure zone (cloud availability zone). @default the node's `rack` */
  zone: string;
  /** Free-form labels for targeting and for plugins. @default {} */
  labels: Record<string, string>;
  /**
   * Per-node connection overrides, merged over the inventory's `connection`
   * (e.g. `{ ssh: { port: 2222 } }`). @default {}
   */
  connection: Record<string, unknown>;
  /**
   * YAML `new: true`: the node is not a member yet; it is to join the cluster
   * (a bootstrap). Set also on replacements (`replaces`). @default absent (a member)
   */
  new?: true;
  /**
   * YAML `replaces: <node id>`: the node is new and takes over the tokens of
   * that dead member of the inventory (same dc and rack). @default absent
   */
  replaces?: string;
}

/** How a node stands in the cluster, from its inventory entry. */
export type NodeMembership = 'member' | 'new' | 'replacement' | 'replaced';

/**
 * The membership of `node` in `inventory`: `replacement` (it has `replaces`),
 * `new` (`new: true`), `replaced` (a member that a replacement names; it is
 * dead), else `member`.
 */
export function nodeMembership(inventory: ClusterInventory, node: InventoryNode): NodeMembership {
  if (node.replaces !== undefined) return 'replacement';
  if (node.new) return 'new';
  if (inventory.nodes.some((n) => n.replaces === node.id)) return 'replaced';
  return 'member';
}

/**
 * The cluster a job runs against. Loaded from YAML by `loadInventory()` /
 * `parseInventory()`. Plugins read their settings from `connection`
 * (e.g. `connection.scylla_api.port`, `connection.ssh.user`,
 * `connection.prometheus.url`); core never interprets them.
 */
export interface ClusterInventory {
  /** Cluster name; the cluster lock is keyed on it. */
  name: string;
  nodes: InventoryNode[];
  /** Cluster-wide connection settings that plugins read. @default {} */
  connection: Record<string, unknown>;
}

/**
 * Connection settings for one node: the inventory's `connection[section]`
 * with the node's own `connection[section]` merged over it (shallow).
 */
export function connectionSettings(
  inventory: ClusterInventory,
  node: InventoryNode | undefined,
  section: string,
): Record<string, unknown> {
  const base = inventory.connection[section];
  const own = node?.connection[section];
  return {
    ...(base && typeof base === 'object' ? (base as Record<string, unknown>) : {}),
    ...(own && typeof own === 'object' ? (own as Record<string, unknown>) : {}),
  };
}
