import type { z } from 'zod';
import type { WorkflowProblem } from '../errors/input-errors.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import { suggestionHint, typoOf } from '../workflow/did-you-mean.js';
import { displayPath, type TreePath } from '../workflow/yaml-tree.js';
import { objectKeys, schemaAt } from '../workflow/zod-problems.js';
import { connectionSettings, type ClusterInventory } from './inventory.js';
import { InventoryError, inventorySourceTree } from './parse-inventory.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The connection schemas the registered plugins declare, by section (a section may have several). */
export function declaredConnectionSchemas(registry: PluginRegistry): Map<string, { plugin: string; schema: z.ZodType }[]> {
  const out = new Map<string, { plugin: string; schema: z.ZodType }[]>();
  for (const plugin of registry.plugins()) {
    for (const [section, schema] of Object.entries(plugin.connectionSettings ?? {})) {
      const list = out.get(section) ?? [];
      list.push({ plugin: plugin.name, schema });
      out.set(section, list);
    }
  }
  return out;
}

/**
 * Every problem of the inventory's `connection` settings against the schemas
 * that the registered plugins declare (`PluginManifest.connectionSettings`):
 * each node's merged section is validated, and each problem is placed where
 * the bad key is written (the node's own section, or the inventory-wide one),
 * with `file:line:column` when the inventory came from `parseInventory` /
 * `loadInventory`, and `did you mean` for a misspelt key. A problem of the
 * inventory-wide section is reported once, not once per node.
 */
export function connectionSettingsProblems(inventory: ClusterInventory, registry: PluginRegistry): WorkflowProblem[] {
  const tree = inventorySourceTree(inventory);
  const problems: WorkflowProblem[] = [];
  const seen = new Set<string>();
  const push = (p: WorkflowProblem, at: TreePath) => {
    const withPlace: WorkflowProblem = { ...p, path: displayPath(at) };
    const loc = tree?.locateKey(at);
    if (loc) withPlace.location = loc;
    const key = `${withPlace.path}\u0000${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(withPlace);
  };
  const declared = declaredConnectionSchemas(registry);
  // A section no plugin declares is left to whoever reads it, unless it is a typo of one
  // that a plugin declares: then the settings the user meant would be silently ignored.
  const misspelt = (sections: Record<string, unknown>, at: TreePath, who: string) => {
    for (const name of Object.keys(sections)) {
      if (declared.has(name)) continue;
      const meant = typoOf(name, declared.keys());
      if (meant === undefined) continue;
      push({ message: `${who}unknown connection section "${name}": no plugin reads it, so its settings would be ignored`, hint: `did you mean "${meant}"?` }, [...at, name]);
    }
  };
  misspelt(inventory.connection, ['connection'], '');
  inventory.nodes.forEach((node, i) => misspelt(node.connection, ['nodes', i, 'connection'], `node ${node.id}: `));
  for (const [section, schemas] of declared) {
    const clusterRaw = inventory.connection[section];
    if (clusterRaw !== undefined && !isPlainObject(clusterRaw)) {
      push({ message: `connection.${section} must be a mapping`, hint: `write it as {key: value, ...}` }, ['connection', section]);
      continue;
    }
    inventory.nodes.forEach((node, i) => {
      const ownRaw = node.connection[section];
      if (ownRaw !== undefined && !isPlainObject(ownRaw)) {
        push({ message: `node ${node.id}: connection.${section} must be a mapping`, hint: 'write it as {key: value, ...}' }, ['nodes', i, 'connection', section]);
        return;
      }
      const own = ownRaw ?? {};
      const merged = connectionSettings(inventory, node, section);
      const origin = (key: string | number | undefined): { base: TreePath; who: string } =>
        key !== undefined && Object.prototype.hasOwnProperty.call(own, key)
          ? { base: ['nodes', i, 'connection', section], who: `node ${node.id}: ` }
          : { base: ['connection', section], who: isPlainObject(clusterRaw) && key !== undefined && key in clusterRaw ? '' : `node ${node.id}: ` };
      for (const { schema } of schemas) {
        const r = schema.safeParse(merged);
        if (r.success) continue;
        for (const issue of r.error.issues) {
          const rel = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
          if (issue.code === 'unrecognized_keys') {
            const allowed = objectKeys(schemaAt(schema, rel));
            for (const k of issue.keys) {
              const { base, who } = origin(rel.length > 0 ? rel[0] : k);
              const at = [...base, ...rel, k];
              push(
                { message: `${who}unknown key "${k}" in connection.${[section, ...rel].join('.')}`, hint: allowed.length > 0 ? suggestionHint(k, allowed) : 'remove it' },
                at,
              );
            }
            continue;
          }
          const { base, who } = origin(rel[0]);
          const shown = `connection.${[section, ...rel].join('.')}`;
          const value = rel.reduce<unknown>((v, k) => (isPlainObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined), merged);
          push(
            {
              message: `${who}${shown}: ${issue.message}${value !== undefined && typeof value !== 'object' ? ` (got ${JSON.stringify(value)})` : ''}`,
              hint: 'fix the value in the inventory; see the plugin\'s README for this section',
            },
            rel.length > 0 ? [...base, ...rel] : base,
          );
        }
      }
    });
  }
  return problems;
}

/**
 * Validates the inventory's connection settings against the registered
 * plugins' schemas (see {@link connectionSettingsProblems}); called by
 * `plan()`, so a job never starts with a port of 99999 or a misspelt ssh key.
 * @throws InventoryError (code `INVALID_INVENTORY`) listing every problem
 */
export function validateConnectionSettings(inventory: ClusterInventory, registry: PluginRegistry): void {
  const problems = connectionSettingsProblems(inventory, registry);
  if (problems.length > 0) throw new InventoryError(problems);
}
