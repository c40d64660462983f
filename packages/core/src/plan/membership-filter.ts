import { InvalidInputError } from '../errors/input-errors.js';
import { nodeMembership, type ClusterInventory, type InventoryNode } from '../inventory/inventory.js';

/**
 * `membership` of a `!node-workflow`: which of the targeted nodes it runs on.
 * `existing`: members of the cluster (not new, not replacements, not the dead
 * nodes being replaced); `new`: nodes marked `new: true` and replacements;
 * `all`: every targeted node. @default 'existing'
 */
export type NodeWorkflowMembership = 'existing' | 'new' | 'all';

/** The values of {@link NodeWorkflowMembership}. */
export const NODE_WORKFLOW_MEMBERSHIPS = ['existing', 'new', 'all'] as const;

/**
 * The targeted nodes a node workflow with this `membership` runs on, in the
 * same order.
 *
 * @throws InvalidInputError code `EMPTY_SELECTION` when none is left, naming
 *   the workflow and what the targeting held.
 */
export function filterByMembership(
  inventory: ClusterInventory,
  selected: readonly InventoryNode[],
  membership: NodeWorkflowMembership,
  workflowName: string,
): InventoryNode[] {
  if (membership === 'all') return [...selected];
  const out = selected.filter((n) => {
    const m = nodeMembership(inventory, n);
    return membership === 'new' ? m === 'new' || m === 'replacement' : m === 'member';
  });
  if (out.length === 0) {
    const held = selected.map((n) => `${n.id} (${nodeMembership(inventory, n)})`);
    throw new InvalidInputError(
      `node workflow "${workflowName}" (membership: ${membership}) selects no node: the targeted nodes are ${held.slice(0, 20).join(', ')}${held.length > 20 ? ', ...' : ''}; ` +
        (membership === 'new' ? 'mark the nodes to join with new: true (or replaces: <dead node id>) in the inventory' : 'target at least one member of the cluster'),
      { code: 'EMPTY_SELECTION', details: { step: workflowName, membership } },
    );
  }
  return out;
}
