import type { BaseContext, InventoryNode } from '@scylla-cp/core';
import { askMember } from './ask-member.js';
import { RAFT_TABLET_ROUTES } from './raft-tablet-routes.js';

/** Where the topology coordinator runs: the group0 leader, by host id and, when the inventory has it, as an inventory node. */
export interface TopologyCoordinatorHost {
  /** `GET /raft/leader_host`: the group0 leader's host id. */
  readonly hostId: string;
  /** Its address, from a member's `/storage_service/host_id` map (absent when the map does not list it). */
  readonly address?: string;
  /** The inventory node at that address, if any. */
  readonly node?: InventoryNode;
}

/**
 * The node where ScyllaDB's topology coordinator runs: it lives beside the group0 Raft leader
 * (`GET /raft/leader_host`, asked of a member of the cluster, other than `except`), placed
 * through the member's host-id map and the inventory. That node's log holds the coordinator's
 * side of every topology operation. `undefined` when no member can tell (never throws).
 */
export async function topologyCoordinatorHost(ctx: BaseContext, except?: InventoryNode): Promise<TopologyCoordinatorHost | undefined> {
  try {
    return await askMember(ctx, except, async (api) => {
      const o = { signal: ctx.signal };
      const [hostId, owners] = await Promise.all([api.call(RAFT_TABLET_ROUTES.leaderHost, {}, o), api.hostIdMap(o)]);
      const address = owners.find((e) => e.value === hostId)?.key;
      const node = address === undefined ? undefined : ctx.inventory.nodes.find((n) => n.address === address);
      return { hostId, ...(address !== undefined ? { address } : {}), ...(node ? { node } : {}) };
    });
  } catch {
    return undefined;
  }
}

/** `coordinator n1 (host id …)`, `coordinator host id …`, or `coordinator unknown` for messages. */
export function describeCoordinator(c: TopologyCoordinatorHost | undefined): string {
  if (!c) return 'coordinator unknown (no member answered /raft/leader_host)';
  if (c.node) return `coordinator ${c.node.id} (host id ${c.hostId})`;
  return `coordinator host id ${c.hostId}${c.address ? ` at ${c.address}` : ''}`;
}

/** The coordinator as error details: `{ hostId, node? }`. */
export function coordinatorDetails(c: TopologyCoordinatorHost | undefined): Record<string, string> | undefined {
  if (!c) return undefined;
  return { hostId: c.hostId, ...(c.address ? { address: c.address } : {}), ...(c.node ? { node: c.node.id } : {}) };
}
