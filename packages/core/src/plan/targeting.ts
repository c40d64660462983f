import { InvalidInputError } from '../errors/input-errors.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import { closestMatch } from '../workflow/did-you-mean.js';
import type { Targeting } from './job-plan.js';

function listChoices(kind: string, choices: readonly string[]): string {
  const shown = choices.slice(0, 30).join(', ');
  return `valid ${kind}: ${shown}${choices.length > 30 ? `, ... (${choices.length} in all)` : ''}`;
}

function nodeIndex(inventory: ClusterInventory): Map<string, InventoryNode> {
  const byName = new Map<string, InventoryNode>();
  for (const n of inventory.nodes) byName.set(n.address, n);
  for (const n of inventory.nodes) byName.set(n.id, n); // ids win over addresses
  return byName;
}

function resolveNames(inventory: ClusterInventory, names: readonly string[], what: string): InventoryNode[] {
  const byName = nodeIndex(inventory);
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    const ids = inventory.nodes.map((n) => n.id);
    const near = unknown.map((u) => [u, closestMatch(u, [...ids, ...inventory.nodes.map((n) => n.address)])] as const).filter(([, m]) => m);
    throw new InvalidInputError(
      `${what}: unknown node${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} in inventory "${inventory.name}"` +
        (near.length > 0 ? ` (did you mean ${near.map(([u, m]) => `"${m}" for "${u}"`).join(', ')}?)` : '') +
        `; name nodes by id or address; ${listChoices('ids', ids)}`,
      { code: 'UNKNOWN_NODE', details: { unknown, valid: ids } },
    );
  }
  return names.map((n) => byName.get(n)!);
}

/** The zones of an inventory, in first-appearance order. */
export function inventoryZones(inventory: ClusterInventory): string[] {
  return [...new Set(inventory.nodes.map((n) => n.zone))];
}

/**
 * The nodes a job targets, in inventory order, each once.
 *
 * - `nodes`: these nodes, each named by id or address (an id wins when a
 *   name is both some node's id and another's address).
 * - `zones`: every node of these zones.
 * - neither: every node of the inventory.
 * - `exclude` (nodes by id or address) is then removed.
 *
 * @throws InvalidInputError with code `INVALID_TARGETING` (both `nodes` and
 *   `zones` given), `UNKNOWN_NODE` (a name in `nodes` or `exclude` matches no
 *   node), `UNKNOWN_ZONE`, or `EMPTY_SELECTION` (nothing left to run on). The
 *   message names what was unknown and lists the valid choices.
 */
export function selectNodes(inventory: ClusterInventory, targeting: Targeting = {}): InventoryNode[] {
  const { nodes, zones, exclude } = targeting;
  if (nodes !== undefined && zones !== undefined) {
    throw new InvalidInputError('targeting: give either nodes or zones, not both; use exclude to leave nodes out of zones', {
      code: 'INVALID_TARGETING',
    });
  }
  let selected: Set<InventoryNode>;
  if (nodes !== undefined) {
    selected = new Set(resolveNames(inventory, nodes, 'targeting'));
  } else if (zones !== undefined) {
    const valid = inventoryZones(inventory);
    const unknown = zones.filter((z) => !valid.includes(z));
    if (unknown.length > 0) {
      const near = unknown.map((u) => [u, closestMatch(u, valid)] as const).filter(([, m]) => m);
      throw new InvalidInputError(
        `targeting: unknown zone${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} in inventory "${inventory.name}"` +
          (near.length > 0 ? ` (did you mean ${near.map(([u, m]) => `"${m}" for "${u}"`).join(', ')}?)` : '') +
          `; ${listChoices('zones', valid)}`,
        { code: 'UNKNOWN_ZONE', details: { unknown, valid } },
      );
    }
    const wanted = new Set(zones);
    selected = new Set(inventory.nodes.filter((n) => wanted.has(n.zone)));
  } else {
    selected = new Set(inventory.nodes);
  }
  if (exclude !== undefined && exclude.length > 0) {
    for (const n of resolveNames(inventory, exclude, 'exclude')) selected.delete(n);
  }
  const out = inventory.nodes.filter((n) => selected.has(n));
  if (out.length === 0) {
    const what = nodes !== undefined ? `nodes ${nodes.join(', ') || '(none)'}` : zones !== undefined ? `zones ${zones.join(', ') || '(none)'}` : 'all nodes';
    throw new InvalidInputError(
      `targeting selects no node (${what}${exclude?.length ? `, excluding ${exclude.join(', ')}` : ''}); name at least one node or zone that is not excluded`,
      { code: 'EMPTY_SELECTION', details: { targeting: { ...targeting } } },
    );
  }
  return out;
}
