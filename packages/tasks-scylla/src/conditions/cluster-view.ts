import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { RecoverableError, type BaseContext, type InventoryNode } from '@scylla-cp/core';
import type { ScyllaApiClient } from '../client/scylla-api-client.js';
import type { NodeStatusView } from '../client/node-status.js';
import { scyllaApiFor } from '../services/scylla-api-service.js';

/** A node whose REST API answered in NORMAL mode, used to read the cluster's state. */
export interface ViewSource {
  node: InventoryNode;
  client: ScyllaApiClient;
}

/** How many nodes {@link findViewSource} asks before giving up. */
const MAX_VIEW_ATTEMPTS = 5;

/**
 * Picks the node whose view of the cluster is read: `preferred` first (usually the node being
 * operated on), then the inventory's nodes in order (those in `ctx.job.disruptedNodes` last);
 * the first whose REST API answers
 * `operation_mode` = `NORMAL` wins (a drained or starting node's gossip view is not trusted).
 * Nodes that do not answer are skipped; after 5 misses it throws a `RecoverableError`
 * (a failed poll) naming what each said.
 */
export async function findViewSource(ctx: BaseContext, preferred?: InventoryNode): Promise<ViewSource> {
  const all = preferred ? [preferred, ...ctx.inventory.nodes.filter((n) => n.id !== preferred.id)] : ctx.inventory.nodes;
  // A node this job is taking down (other than `preferred`) is asked last: its view is about to go.
  const disrupted = ctx.job.disruptedNodes;
  const candidates = disrupted && disrupted.size > 0 ? [...all.filter((n) => n === preferred || !disrupted.has(n.id)), ...all.filter((n) => n !== preferred && disrupted.has(n.id))] : all;
  const misses: string[] = [];
  for (const node of candidates) {
    if (misses.length >= MAX_VIEW_ATTEMPTS) break;
    const client = scyllaApiFor(ctx, node);
    try {
      const mode = await client.operationMode({ signal: ctx.signal });
      if (mode === 'NORMAL') return { node, client };
      misses.push(`${node.id}: mode ${mode}`);
    } catch (e) {
      if (!(e instanceof RecoverableError)) throw e;
      misses.push(`${node.id}: ${(e as Error).message}`);
    }
  }
  throw new RecoverableError(`no node in NORMAL mode answered to read the cluster state (${misses.join('; ') || 'empty inventory'})`, {
    code: 'NO_CLUSTER_VIEW',
  });
}

/**
 * The address Scylla uses for `node` (gossip and describe_ring speak addresses): the inventory
 * address when it is an IP literal; otherwise the address the host-id map gives for the node's
 * own `hostid/local`; otherwise the DNS addresses of the inventory address that appear in the
 * view. Throws a `RecoverableError` (code `NODE_ADDRESS_UNKNOWN`) when none works.
 */
export async function scyllaAddressOf(ctx: BaseContext, node: InventoryNode, view: NodeStatusView): Promise<string> {
  if (isIP(node.address) !== 0) return node.address;
  try {
    const hostId = await scyllaApiFor(ctx, node).localHostId({ signal: ctx.signal });
    const row = view.byHostId(hostId);
    if (row) return row.address;
  } catch (e) {
    if (!(e instanceof RecoverableError)) throw e;
  }
  try {
    const addrs = await lookup(node.address, { all: true });
    for (const a of addrs) if (view.get(a.address)) return a.address;
  } catch {
    // fall through
  }
  throw new RecoverableError(`cannot tell which cluster address node ${node.id} (${node.address}) has; use an IP address in the inventory`, {
    code: 'NODE_ADDRESS_UNKNOWN',
  });
}

/** Whether a context is a node context. */
export function nodeOf(ctx: BaseContext): InventoryNode | undefined {
  const n = (ctx as { node?: InventoryNode }).node;
  return n && typeof n === 'object' ? n : undefined;
}

/**
 * The nodes this job has taken, or is taking, down (`ctx.job.disruptedNodes`),
 * other than `except`, with the cluster address of each (see {@link scyllaAddressOf}).
 * Liveness conditions count them as down whatever gossip says: peers may not
 * have noticed yet. A node whose address cannot be told is left out of `addresses`
 * but still listed in `ids`.
 */
export async function disruptedPeers(
  ctx: BaseContext,
  view: NodeStatusView,
  except?: InventoryNode,
): Promise<{ ids: string[]; addresses: Set<string> }> {
  const set = ctx.job.disruptedNodes;
  const ids: string[] = [];
  const addresses = new Set<string>();
  if (!set || set.size === 0) return { ids, addresses };
  for (const node of ctx.inventory.nodes) {
    if (!set.has(node.id) || node.id === except?.id) continue;
    ids.push(node.id);
    try {
      addresses.add(await scyllaAddressOf(ctx, node, view));
    } catch (e) {
      if (!(e instanceof RecoverableError)) throw e;
    }
  }
  return { ids, addresses };
}
