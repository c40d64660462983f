import { InvalidInputError } from '../errors/input-errors.js';
import type { InventoryNode } from '../inventory/inventory.js';
import type { ConcurrencyUnit } from '../workflow/workflow.js';
import type { PlanBatch } from './job-plan.js';

/** The group key of a node: zones and racks within their dc (their names repeat across dcs). */
function unitKey(node: InventoryNode, unit: ConcurrencyUnit): string {
  switch (unit) {
    case 'zone':
      return `${node.dc}/${node.zone}`;
    case 'rack':
      return `${node.dc}/${node.rack}`;
    case 'dc':
      return node.dc;
    case 'node':
    case 'replica_set':
      return node.id;
  }
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Splits nodes into batches by `unit`, in the documented order:
 *
 * - a group is a zone within its dc (`zone`), a rack within its dc
 *   (`rack`), a dc (`dc`), or one node (`node`): two dcs that both have a
 *   `rack1` (or a zone of the same name) are two groups, never one batch;
 * - a batch's `unit` is the zone name, or `dc/zone` when that zone name
 *   occurs in more than one dc among `nodes`; `dc/rack` for racks; the dc
 *   name; the node id;
 * - groups are sorted by their dc, then by unit name, comparing strings by
 *   code point (locale-free);
 * - nodes within a group keep inventory order.
 *
 * Batch ids are `${stepId}/b${index}`.
 */
export function planBatches(stepId: string, nodes: readonly InventoryNode[], unit: ConcurrencyUnit): PlanBatch[] {
  if (unit === 'replica_set') {
    throw new InvalidInputError('planBatches cannot group by replica_set: the batches come from the token ring (replicaSetBatches, or plan() with a ring)', {
      code: 'INVALID_INPUT',
    });
  }
  const groups = new Map<string, { dc: string; label: string; nodes: string[] }>();
  const zoneDcs = new Map<string, Set<string>>();
  if (unit === 'zone') for (const n of nodes) (zoneDcs.get(n.zone) ?? zoneDcs.set(n.zone, new Set()).get(n.zone)!).add(n.dc);
  for (const n of nodes) {
    const key = unitKey(n, unit);
    const g = groups.get(key);
    if (g) g.nodes.push(n.id);
    else {
      const label = unit === 'zone' ? (zoneDcs.get(n.zone)!.size > 1 ? key : n.zone) : key;
      groups.set(key, { dc: n.dc, label, nodes: [n.id] });
    }
  }
  return [...groups.values()]
    .sort((a, b) => byCodePoint(a.dc, b.dc) || byCodePoint(a.label, b.label))
    .map((g, i) => ({ id: `${stepId}/b${i}`, unit: g.label, nodes: g.nodes }));
}
