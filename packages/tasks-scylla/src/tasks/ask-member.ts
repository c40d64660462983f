import { nodeMembership, RecoverableError, type BaseContext, type InventoryNode } from '@scylla-cp/core';
import type { ScyllaApiClient } from '../client/scylla-api-client.js';
import { scyllaApiFor } from '../services/scylla-api-service.js';

/**
 * Members of the cluster (inventory nodes neither new, nor replacements, nor being replaced)
 * other than `except`, those of `except`'s dc first. They answer for the cluster's topology.
 */
export function clusterMembers(ctx: BaseContext, except?: InventoryNode): InventoryNode[] {
  const members = ctx.inventory.nodes.filter((n) => n !== except && n.id !== except?.id && nodeMembership(ctx.inventory, n) === 'member');
  return [...members.filter((n) => n.dc === except?.dc), ...members.filter((n) => n.dc !== except?.dc)];
}

/**
 * Runs `fn` against the first member (see {@link clusterMembers}) that answers; on an error
 * tries the next. When none answers, rethrows the last error (a node that is unreachable or
 * 5xx is a `RecoverableError`).
 */
export async function askMember<T>(ctx: BaseContext, except: InventoryNode | undefined, fn: (api: ScyllaApiClient, member: InventoryNode) => Promise<T>): Promise<T> {
  let last: unknown = new RecoverableError('no member of the cluster in the inventory to ask', { code: 'NO_CLUSTER_MEMBER' });
  for (const m of clusterMembers(ctx, except)) {
    if (ctx.signal.aborted) break;
    try {
      return await fn(scyllaApiFor(ctx, m), m);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

