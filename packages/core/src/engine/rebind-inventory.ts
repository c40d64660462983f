import { InvalidInputError } from '../errors/input-errors.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import type { JobPlan } from '../plan/job-plan.js';

/** What {@link rebindPlanInventory} changed. */
export interface InventoryRebinding {
  plan: JobPlan;
  /** Ids of the nodes whose connection settings changed. */
  changedNodes: string[];
  /** Whether the inventory-wide connection settings changed. */
  inventoryConnectionChanged: boolean;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

const FIXED: readonly (keyof InventoryNode)[] = ['address', 'dc', 'rack', 'zone', 'labels'];

/**
 * The job's stored plan with the connection settings (`connection` of each
 * node and of the inventory: ports, ssh, Prometheus, ...) taken from
 * `inventory`, for `resume`/`retry --inventory FILE`. Everything else must be
 * unchanged: the same node ids, and for each node the same address, dc, rack,
 * zone and labels (the plan's batches and the job's records depend on them).
 * Pure.
 * @throws InvalidInputError (code `INVENTORY_MISMATCH`) naming every difference
 *   and how to proceed.
 */
export function rebindPlanInventory(plan: JobPlan, inventory: ClusterInventory): InventoryRebinding {
  const stored = new Map(plan.inventory.nodes.map((n) => [n.id, n]));
  const given = new Map(inventory.nodes.map((n) => [n.id, n]));
  const problems: string[] = [];
  const missing = [...stored.keys()].filter((id) => !given.has(id));
  const added = [...given.keys()].filter((id) => !stored.has(id));
  if (missing.length) problems.push(`nodes missing from the new inventory: ${missing.join(', ')}`);
  if (added.length) problems.push(`nodes not in the job: ${added.join(', ')}`);
  for (const [id, old] of stored) {
    const n = given.get(id);
    if (!n) continue;
    for (const k of FIXED) if (!same(old[k], n[k])) problems.push(`node ${id}: ${k} ${JSON.stringify(old[k])} -> ${JSON.stringify(n[k])}`);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(
      `the new inventory does not describe the same nodes as job's stored plan (${problems.join('; ')}). Only connection settings can be re-bound; to change the set of nodes or where they are, cancel this job and plan a new one`,
      { code: 'INVENTORY_MISMATCH', details: { problems } },
    );
  }
  const changedNodes: string[] = [];
  const nodes = plan.inventory.nodes.map((old) => {
    const n = given.get(old.id)!;
    if (same(old.connection, n.connection)) return old;
    changedNodes.push(old.id);
    return { ...old, connection: structuredClone(n.connection) };
  });
  const inventoryConnectionChanged = !same(plan.inventory.connection, inventory.connection);
  const next: JobPlan = {
    ...plan,
    inventory: { ...plan.inventory, nodes, connection: inventoryConnectionChanged ? structuredClone(inventory.connection) : plan.inventory.connection },
  };
  return { plan: next, changedNodes, inventoryConnectionChanged };
}
