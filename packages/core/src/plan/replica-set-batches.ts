import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import type { PlanBatch, ReplicaSetGroupPlan } from './job-plan.js';
import { colourConflicts, type ColouringOptions } from './colour-conflicts.js';
import { conflictGraph, type SharedRange } from './conflict-graph.js';
import { ringEndpointResolver, type TokenRing } from './token-ring.js';

/** What {@link replicaSetBatches} returns: the batches, in run order, and the reasoning per group. */
export interface ReplicaSetBatches {
  batches: PlanBatch[];
  groups: ReplicaSetGroupPlan[];
  /** Conflicting pairs among the planned nodes. */
  conflictPairs: number;
}

/** A group of nodes coloured together: the whole selection, or one zone / rack / dc of it. */
export interface ReplicaSetGroup {
  /** Group label (`all`, a zone, `dc/rack`, a dc). */
  unit: string;
  nodes: InventoryNode[];
}

/**
 * Splits each group into replica sets: batches of nodes no two of which
 * replicate a common token range of `keyspaces` (see `colourConflicts`).
 * Groups run one after another (zone exclusivity when the groups are zones);
 * within a group the sets run one after another; within a set up to
 * `concurrency_limit` nodes run at once. Nodes keep inventory order in a set;
 * sets are numbered from the largest. Batch ids are `${stepId}/b${index}`,
 * batch units `${group} set ${k}/${count}` (or `set ${k}/${count}` for one group).
 */
export function replicaSetBatches(
  stepId: string,
  groups: readonly ReplicaSetGroup[],
  ring: TokenRing,
  inventory: ClusterInventory,
  keyspaces: readonly string[],
  options: ColouringOptions = {},
): ReplicaSetBatches {
  const batches: PlanBatch[] = [];
  const plans: ReplicaSetGroupPlan[] = [];
  let conflictPairs = 0;
  const ksList = keyspaces.length > 4 ? `${keyspaces.slice(0, 4).join(', ')} and ${keyspaces.length - 4} more` : keyspaces.join(', ');
  for (const group of groups) {
    const ids = group.nodes.map((n) => n.id);
    const g = conflictGraph(ring, inventory, ids, keyspaces);
    conflictPairs += g.edgeCount;
    const c = colourConflicts(g, options);
    const sets = [...c.sets].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
    const clique = c.clique.map((i) => g.nodes[i]!);
    const groupPlan: ReplicaSetGroupPlan = {
      unit: group.unit,
      nodes: ids.length,
      conflictPairs: g.edgeCount,
      sets: sets.length,
      lowerBound: c.lowerBound,
      optimal: c.optimal,
      clique,
    };
    if (c.fractionalBound !== undefined && Math.ceil(c.fractionalBound - 1e-9) > clique.length) groupPlan.fractionalBound = Number(c.fractionalBound.toFixed(3));
    if (clique.length >= 2) {
      const range = rangeHoldingAll(ring, inventory, keyspaces, clique);
      if (range) groupPlan.cliqueRange = range;
    }
    plans.push(groupPlan);
    sets.forEach((set, k) => {
      const label = groups.length === 1 && group.unit === 'all' ? `set ${k + 1}/${sets.length}` : `${group.unit} set ${k + 1}/${sets.length}`;
      batches.push({
        id: `${stepId}/b${batches.length}`,
        unit: label,
        nodes: set.map((i) => g.nodes[i]!),
        reason:
          set.length === 1 && sets.length === ids.length
            ? `every node shares a token range of ${ksList} with every other one here: one at a time`
            : `no two of these ${set.length} node${set.length === 1 ? '' : 's'} replicate a common token range of ${ksList}`,
      });
    });
  }
  return { batches, groups: plans, conflictPairs };
}

/** A token range of `keyspaces` that every node of `ids` replicates, if one exists: it alone explains why they run one at a time. */
function rangeHoldingAll(ring: TokenRing, inventory: ClusterInventory, keyspaces: readonly string[], ids: readonly string[]): SharedRange | undefined {
  const resolve = ringEndpointResolver(inventory);
  const wanted = new Set(keyspaces);
  for (const ks of ring.keyspaces) {
    if (!wanted.has(ks.keyspace)) continue;
    for (const r of ks.ranges) {
      if (r.endpoints.length < ids.length) continue;
      const holders = new Set(r.endpoints.map((e) => resolve(e, ks.keyspace).id));
      if (ids.every((id) => holders.has(id))) return { keyspace: ks.keyspace, start: r.start, end: r.end };
    }
  }
  return undefined;
}
