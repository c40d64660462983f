import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  InvalidInputError,
  RecoverableError,
  type ClusterInventory,
  type InventoryNode,
  type KeyspaceRing,
  type PlannedCondition,
  type RingProvider,
  type TokenRing,
} from '@scylla-cp/core';
import type { ScyllaApiClient } from '../client/scylla-api-client.js';
import { ScyllaApiProviders, type ScyllaApiProvidersOptions } from '../services/scylla-api-service.js';

/** The tag of the ring re-check condition (see {@link ScyllaRingUnchanged}). */
export const RING_UNCHANGED_TAG = 'scylla-ring-unchanged';

/** Most nodes asked before reading the ring gives up. */
const MAX_RING_SOURCES = 5;

/** Gets the REST client of a node. */
export type ScyllaClientFor = (node: InventoryNode) => ScyllaApiClient;

/**
 * Reads the token ring of `keyspaces` (default: every non-local vnode
 * keyspace) from the first node that answers, in inventory order:
 * `GET /storage_service/keyspaces?type=non_local_strategy&replication=vnodes`,
 * then `GET /storage_service/describe_ring/{keyspace}` for each. Replica
 * endpoints (IPs) are mapped to inventory addresses (an inventory address
 * that is a DNS name is resolved) so that core matches them to nodes.
 *
 * Keyspaces replicated with tablets are refused: their replicas move with
 * the tablets and describe_ring needs a table, so a replica-aware plan made
 * from vnode ranges would not protect them.
 *
 * @throws InvalidInputError `TABLETS_UNSUPPORTED`; RecoverableError `NO_RING_SOURCE` when no node answers
 */
export async function readScyllaRing(
  inventory: ClusterInventory,
  clientFor: ScyllaClientFor,
  keyspaces?: readonly string[],
  signal?: AbortSignal,
): Promise<TokenRing> {
  const misses: string[] = [];
  for (const node of inventory.nodes.slice(0, MAX_RING_SOURCES)) {
    const client = clientFor(node);
    const o = signal ? { signal } : {};
    try {
      const nonLocal = await client.keyspaces({ type: 'non_local_strategy', replication: 'vnodes' }, o);
      const tablets = await client.keyspaces({ type: 'non_local_strategy', replication: 'tablets' }, o);
      const names = keyspaces ? [...keyspaces] : [...nonLocal].sort();
      const onTablets = names.filter((k) => tablets.includes(k)).concat(keyspaces ? [] : tablets.filter((k) => !names.includes(k)));
      if (onTablets.length > 0) {
        throw new InvalidInputError(
          `keyspace${onTablets.length > 1 ? 's' : ''} ${onTablets.join(', ')} use${onTablets.length > 1 ? '' : 's'} tablets; concurrency_unit: replica_set reasons about vnode token ranges only. ` +
            'Name the vnode keyspaces to protect in replica_set.keyspaces, or use concurrency_unit: zone',
          { code: 'TABLETS_UNSUPPORTED', details: { keyspaces: onTablets } },
        );
      }
      const toAddress = await endpointMapper(inventory);
      const out: KeyspaceRing[] = [];
      for (const ks of names) {
        const ranges = await client.describeRing(ks, undefined, o);
        const ring: KeyspaceRing = {
          keyspace: ks,
          ranges: ranges.map((r) => ({ start: r.startToken, end: r.endToken, endpoints: r.endpoints.map(toAddress) })),
        };
        if (!nonLocal.includes(ks)) ring.local = true;
        out.push(ring);
      }
      return { keyspaces: out };
    } catch (e) {
      if (!(e instanceof RecoverableError)) throw e;
      misses.push(`${node.id}: ${(e as Error).message}`);
    }
  }
  throw new RecoverableError(`no node answered to read the token ring (${misses.join('; ') || 'empty inventory'})`, { code: 'NO_RING_SOURCE' });
}

/** Maps a describe_ring endpoint (an IP) to the inventory address of that node, when the inventory names it by DNS. */
async function endpointMapper(inventory: ClusterInventory): Promise<(endpoint: string) => string> {
  const byIp = new Map<string, string>();
  for (const n of inventory.nodes) {
    if (isIP(n.address) !== 0) continue;
    try {
      for (const a of await lookup(n.address, { all: true })) if (!byIp.has(a.address)) byIp.set(a.address, n.address);
    } catch {
      // an unresolvable name stays unmatched; core reports the endpoint it cannot place
    }
  }
  return (endpoint) => (inventory.nodes.some((n) => n.address === endpoint) ? endpoint : (byIp.get(endpoint) ?? endpoint));
}

/** Options of {@link scyllaRingProvider}. */
export interface ScyllaRingProviderOptions extends ScyllaApiProvidersOptions {
  /** The re-check's poll interval and timeout, seconds. @default { pollIntervalSeconds: 5, timeoutSeconds: 60 } */
  recheck?: { pollIntervalSeconds?: number; timeoutSeconds?: number };
}

/**
 * The {@link RingProvider} for ScyllaDB: reads the ring with
 * {@link readScyllaRing} through the REST API of the inventory's nodes, and
 * re-checks it with `!scylla-ring-unchanged` before each node of a
 * replica_set step starts. Call `close()` when done (it owns its clients).
 *
 * ```ts
 * const ringProvider = scyllaRingProvider();
 * const jobPlan = await planJob(workflow, inventory, {}, {}, { registry, ringProvider });
 * await ringProvider.close();
 * ```
 */
export function scyllaRingProvider(options: ScyllaRingProviderOptions = {}): RingProvider & { close(): Promise<void> } {
  const providers = new ScyllaApiProviders(options);
  return {
    ring: (inventory, keyspaces) => readScyllaRing(inventory, (node) => providers.clientFor(inventory, node), keyspaces),
    recheckCondition: (keyspaces, digest): PlannedCondition => ({
      condition: { $tag: RING_UNCHANGED_TAG, value: { keyspaces: [...keyspaces], digest } },
      pollIntervalSeconds: options.recheck?.pollIntervalSeconds ?? 5,
      timeoutSeconds: options.recheck?.timeoutSeconds ?? 60,
    }),
    close: () => providers.dispose(),
  };
}
