import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors/input-errors.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';

/** One token range of a keyspace and the nodes that hold a replica of it (as `describe_ring` reports it). */
export interface RingRange {
  /** Exclusive start token, as the database prints it. */
  start: string;
  /** Inclusive end token. */
  end: string;
  /** Replica endpoints: node addresses as in the inventory (or node ids). */
  endpoints: string[];
}

/** The token ranges of one keyspace. */
export interface KeyspaceRing {
  keyspace: string;
  ranges: RingRange[];
  /** Replicated only locally (LocalStrategy): left out unless named. @default false */
  local?: boolean;
}

/**
 * Which nodes replicate which token ranges, for the keyspaces a
 * `concurrency_unit: replica_set` reasons about. Core never fetches it: a
 * {@link RingProvider} (tasks-scylla's reads `describe_ring`) does, before
 * the plan is made.
 */
export interface TokenRing {
  keyspaces: KeyspaceRing[];
}

/** A condition placed by the planner, in its stored JSON form. Durations in seconds. */
export interface PlannedCondition {
  /** The condition's tag and parameters (`{ $tag, value }`, as nested tags are stored in plans). */
  condition: { $tag: string; value: unknown };
  /** @default 0 */
  successWindowSeconds?: number;
  /** @default 5 */
  pollIntervalSeconds?: number;
  /** @default 300 */
  timeoutSeconds?: number;
  /** Progress-aware wait (`stall_timeout_seconds`, see `ConditionTiming`). @default none */
  stallTimeoutSeconds?: number;
}

/**
 * Reads the token ring at plan time: the small interface that keeps core
 * free of Scylla. tasks-scylla's `scyllaRingProvider()` implements it with
 * `GET /storage_service/keyspaces` and `/storage_service/describe_ring`.
 */
export interface RingProvider {
  /**
   * The rings of `keyspaces`, or of every non-local keyspace when absent.
   * Rejects when the ring cannot be read (no node answers, a keyspace does
   * not exist, a keyspace whose replication cannot be described).
   */
  ring(inventory: ClusterInventory, keyspaces?: readonly string[]): Promise<TokenRing>;
  /**
   * A condition that holds while the ring of `keyspaces` still has
   * `digest` (see {@link ringDigest}) and fails at once, unrecoverably, when
   * it changed. The planner puts it on the first node task of every node of
   * a replica_set step (`TaskSpec.preconditions`), so that a node never
   * starts on a plan made for another ring. Absent: no re-check.
   */
  recheckCondition?(keyspaces: readonly string[], digest: string): PlannedCondition;
}

/**
 * A stable fingerprint of the replica placement of `keyspaces` in `ring`
 * (keyspace names, range ends and sorted replica endpoints; sha256, hex).
 * Two rings with the same placement have the same digest whatever the
 * order in which they were listed.
 */
export function ringDigest(ring: TokenRing, keyspaces?: readonly string[]): string {
  const wanted = keyspaces ? new Set(keyspaces) : undefined;
  const parts = ring.keyspaces
    .filter((k) => !wanted || wanted.has(k.keyspace))
    .map((k) => [k.keyspace, k.ranges.map((r) => [r.start, r.end, [...r.endpoints].sort()]).sort((a, b) => cmpStr(String(a[1]), String(b[1])))] as const)
    .sort((a, b) => cmpStr(a[0], b[0]));
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Resolves a ring endpoint (an address, or a node id) to an inventory node.
 * @throws InvalidInputError code `RING_MISMATCH` when the ring names a node the inventory does not have
 */
export function ringEndpointResolver(inventory: ClusterInventory): (endpoint: string, keyspace: string) => InventoryNode {
  const byName = new Map<string, InventoryNode>();
  for (const n of inventory.nodes) byName.set(n.address, n);
  for (const n of inventory.nodes) byName.set(n.id, n);
  return (endpoint, keyspace) => {
    const n = byName.get(endpoint);
    if (!n) {
      throw new InvalidInputError(
        `the token ring of keyspace ${keyspace} names replica ${endpoint}, which is not a node of inventory "${inventory.name}"; ` +
          'replica-aware batches need every replica in the inventory (add the node, or check that node addresses match what the cluster reports)',
        { code: 'RING_MISMATCH', details: { endpoint, keyspace } },
      );
    }
    return n;
  };
}
