import { InvalidInputError } from '../errors/input-errors.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import { suggestionHint } from '../workflow/did-you-mean.js';
import type { ReplicaSetOptions, TaskEntry } from '../workflow/workflow.js';
import type { NodeWorkflowStep } from './job-plan.js';
import { paramsError, where } from './plan-errors.js';
import type { PlanOptions } from './plan-options.js';
import { planBatches } from './plan-batches.js';
import { replicaSetBatches, type ReplicaSetGroup } from './replica-set-batches.js';
import { ringDigest } from './token-ring.js';

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Fills in the batches of a `replica_set` step from the ring: the keyspaces
 * (named, or every keyspace of the ring not marked local), the groups
 * (`within`), the sets of each, the ring digest, and the re-check
 * precondition on the first node task. Without a `concurrency_limit` (in the
 * workflow or its defaults) a set runs all at once.
 */
export function planReplicaSets(
  step: NodeWorkflowStep,
  entry: TaskEntry,
  options: ReplicaSetOptions,
  limit: number | undefined,
  selected: readonly InventoryNode[],
  inventory: ClusterInventory,
  planOptions: PlanOptions,
): void {
  const ring = planOptions.ring;
  if (!ring) {
    throw new InvalidInputError(
      `${where(entry)}: !node-workflow "${step.name}" uses concurrency_unit: replica_set, which needs the token ring; plan it with planJob() and a RingProvider (tasks-scylla's scyllaRingProvider() reads describe_ring)`,
      { code: 'RING_REQUIRED', details: { step: step.id } },
    );
  }
  const inRing = new Map(ring.keyspaces.map((k) => [k.keyspace, k]));
  let keyspaces: string[];
  if (options.keyspaces) {
    const missing = options.keyspaces.filter((k) => !inRing.has(k));
    if (missing.length > 0) {
      const known = [...inRing.keys()];
      throw paramsError(
        entry,
        'replica_set.keyspaces',
        `no token ring for keyspace${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` +
          (known.length > 0 ? ` (${missing.map((m) => suggestionHint(m, known)).join('; ')})` : ' (the ring lists no keyspace)'),
      );
    }
    keyspaces = [...new Set(options.keyspaces)];
  } else {
    keyspaces = ring.keyspaces.filter((k) => !k.local).map((k) => k.keyspace);
  }
  keyspaces.sort(byCodePoint);
  const groups: ReplicaSetGroup[] = options.within
    ? planBatches('g', selected, options.within).map((b) => ({ unit: b.unit, nodes: b.nodes.map((id) => selected.find((n) => n.id === id)!) }))
    : [{ unit: 'all', nodes: [...selected] }];
  const colouring = planOptions.replicaSetSearchBudget !== undefined ? { searchBudget: planOptions.replicaSetSearchBudget } : {};
  const r = replicaSetBatches(step.id, groups, ring, inventory, keyspaces, colouring);
  step.batches = r.batches;
  if (limit === undefined) step.concurrencyLimit = Math.max(1, ...r.batches.map((b) => b.nodes.length));
  const digest = ringDigest(ring, keyspaces);
  step.replicaSet = { keyspaces, ringDigest: digest, groups: r.groups };
  if (options.within) step.replicaSet.within = options.within;
  const recheck = planOptions.ringProvider?.recheckCondition?.(keyspaces, digest);
  if (recheck && step.tasks.length > 0) {
    const first = step.tasks[0]!;
    first.preconditions = [recheck, ...(first.preconditions ?? [])];
  }
}
