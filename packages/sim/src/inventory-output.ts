import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClusterInventory } from '@scylla-cp/core';
import { stringify } from 'yaml';

/** The inventory as YAML text (the CLI's inventory format: `name`, `connection`, `nodes`). */
export function inventoryYaml(inventory: ClusterInventory): string {
  return `# Written by @scylla-cp/sim: a simulated cluster on ${inventory.nodes[0] ? String((inventory.nodes[0].connection['scylla_api'] as { host?: string } | undefined)?.host ?? '') : ''}.\n# Node addresses are simulated; connect through connection.scylla_api / prometheus_target / shell.\n${stringify(inventory)}`;
}

/** Writes the inventory YAML atomically (temp file + rename), creating the directory. */
export async function writeInventoryFile(inventory: ClusterInventory, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, inventoryYaml(inventory), 'utf8');
  await rename(tmp, path);
}
