import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { WorkflowError, formatProblem, type WorkflowProblem } from '../errors/input-errors.js';
import type { ScyllaCpErrorOptions } from '../errors/scylla-cp-error.js';
import { isTaggedValue, limitProblems, oversizedFileProblem, parseYamlTree, type TreePath, type YamlLimits, type YamlTree } from '../workflow/yaml-tree.js';
import { zodProblems } from '../workflow/zod-problems.js';
import type { ClusterInventory, InventoryNode } from './inventory.js';

/**
 * An inventory file is invalid. A `WorkflowError` (same `problems` with
 * locations and hints), code `INVALID_INVENTORY`, worded for inventories.
 */
export class InventoryError extends WorkflowError {
  static override readonly kind: string = 'InventoryError';
  constructor(problems: readonly WorkflowProblem[], options: ScyllaCpErrorOptions = {}) {
    problems = limitProblems(problems);
    super(problems, { code: 'INVALID_INVENTORY', ...options });
    const head = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    this.message = `invalid inventory: ${head}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`;
  }
}

function tagProblems(tree: YamlTree, value: unknown, path: (string | number)[], out: WorkflowProblem[]): void {
  if (isTaggedValue(value)) {
    out.push({
      message: `YAML tag !${value.$tag} is not allowed in an inventory`,
      hint: 'remove the tag; inventories hold plain values only',
      location: value.location,
      path: tree.display(path as TreePath),
    });
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => tagProblems(tree, v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) tagProblems(tree, v, [...path, k], out);
}

const name = z.string().min(1, { error: 'must not be empty' });
const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** One node of an inventory file. `zone` defaults to `rack`; `labels` and `connection` to `{}`. */
export const inventoryNodeSchema = z.strictObject({
  id: name,
  address: name,
  dc: name,
  rack: name,
  zone: name.optional(),
  /** Values may be written as numbers or booleans; they are kept as strings. */
  labels: z.record(z.string(), labelValue).optional(),
  connection: z.record(z.string(), z.unknown()).optional(),
  /** `true`: the node is to join the cluster (not a member yet). */
  new: z.boolean().optional(),
  /** The id of the dead member of this inventory that the node replaces (implies `new`). */
  replaces: name.optional(),
});

/** An inventory file: `name`, `nodes` (at least one), optional cluster-wide `connection`. */
export const inventorySchema = z.strictObject({
  name,
  connection: z.record(z.string(), z.unknown()).optional(),
  nodes: z.array(inventoryNodeSchema).min(1, { error: 'an inventory needs at least one node' }),
});

/** Where each value of a parsed inventory was written, for errors found later (connection settings at plan time). */
const sourceTrees = new WeakMap<ClusterInventory, YamlTree>();

/** The YAML source tree of an inventory returned by {@link parseInventory}, if it came from one. @internal */
export function inventorySourceTree(inventory: ClusterInventory): YamlTree | undefined {
  return sourceTrees.get(inventory);
}

/** Options of {@link parseInventory}. */
export interface ParseInventoryOptions {
  /** Named in error locations. @default '<inventory>' */
  fileName?: string;
  /** Overrides of the size, depth and alias limits. @default DEFAULT_YAML_LIMITS */
  limits?: Partial<YamlLimits>;
}

/**
 * Parses a cluster inventory from YAML (see the README for the format).
 * Every problem is reported with `file:line:column`: invalid YAML, unknown
 * keys, missing or ill-typed fields, and duplicate node ids or addresses.
 *
 * @throws WorkflowError (its `problems` locate each problem)
 */
export function parseInventory(text: string, options: ParseInventoryOptions = {}): ClusterInventory {
  const fileName = options.fileName ?? '<inventory>';
  const problems: WorkflowProblem[] = [];
  const tree = parseYamlTree(text, fileName, problems, 'inventory', options.limits);
  if (!tree || problems.length > 0) throw new InventoryError(problems.length > 0 ? problems : [{ message: 'unreadable inventory' }]);
  tagProblems(tree, tree.value, [], problems);
  const r = inventorySchema.safeParse(tree.value);
  if (!r.success) problems.push(...zodProblems(r.error.issues, { tree, base: [], schema: inventorySchema }));
  if (!r.success || problems.length > 0) throw new InventoryError(problems);
  const ids = new Map<string, number>();
  const addresses = new Map<string, number>();
  r.data.nodes.forEach((n, i) => {
    const firstId = ids.get(n.id);
    if (firstId !== undefined) {
      problems.push({
        message: `duplicate node id "${n.id}" (also nodes[${firstId}])`,
        hint: 'node ids must be unique; give each node its own id',
        location: tree.locate(['nodes', i, 'id']),
        path: `nodes[${i}].id`,
      });
    } else ids.set(n.id, i);
    const firstAddr = addresses.get(n.address);
    if (firstAddr !== undefined) {
      problems.push({
        message: `duplicate node address "${n.address}" (also nodes[${firstAddr}])`,
        hint: 'each node must have its own address; remove the repeated entry',
        location: tree.locate(['nodes', i, 'address']),
        path: `nodes[${i}].address`,
      });
    } else addresses.set(n.address, i);
  });
  membershipProblems(tree, r.data.nodes, problems);
  if (problems.length > 0) throw new InventoryError(problems);
  const nodes: InventoryNode[] = r.data.nodes.map((n) => ({
    id: n.id,
    address: n.address,
    dc: n.dc,
    rack: n.rack,
    zone: n.zone ?? n.rack,
    labels: { ...(n.labels ?? {}) },
    connection: { ...(n.connection ?? {}) },
    ...(n.new || n.replaces !== undefined ? { new: true as const } : {}),
    ...(n.replaces !== undefined ? { replaces: n.replaces } : {}),
  }));
  const inventory: ClusterInventory = { name: r.data.name, nodes, connection: { ...(r.data.connection ?? {}) } };
  sourceTrees.set(inventory, tree);
  return inventory;
}

type ParsedNode = z.infer<typeof inventoryNodeSchema>;

/**
 * `new` / `replaces` rules: a replacement names a member of the inventory (not
 * itself, not a new node, not one already replaced) in its own dc and rack,
 * and is not marked `new: false`.
 */
function membershipProblems(tree: YamlTree, nodes: readonly ParsedNode[], out: WorkflowProblem[]): void {
  const byId = new Map(nodes.map((n, i) => [n.id, { n, i }] as const));
  const replacedBy = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (n.replaces === undefined) return;
    const at = { location: tree.locate(['nodes', i, 'replaces']), path: `nodes[${i}].replaces` };
    if (n.new === false) {
      out.push({ message: `node "${n.id}" has replaces but new: false`, hint: 'a replacement is a new node: remove new: false', location: tree.locate(['nodes', i, 'new']), path: `nodes[${i}].new` });
    }
    const target = byId.get(n.replaces);
    if (n.replaces === n.id) {
      out.push({ ...at, message: `node "${n.id}" replaces itself`, hint: 'name the dead node this new node takes over from' });
      return;
    }
    if (!target) {
      const members = nodes.filter((x) => !x.new && x.replaces === undefined).map((x) => x.id);
      out.push({ ...at, message: `node "${n.id}" replaces "${n.replaces}", which is not a node of this inventory`, hint: `keep the dead node listed until it is replaced; members: ${members.slice(0, 20).join(', ')}` });
      return;
    }
    if (target.n.new || target.n.replaces !== undefined) {
      out.push({ ...at, message: `node "${n.id}" replaces "${n.replaces}", which is itself a new node`, hint: 'only a member of the cluster can be replaced' });
      return;
    }
    if (target.n.dc !== n.dc || target.n.rack !== n.rack) {
      out.push({
        ...at,
        message: `node "${n.id}" (dc ${n.dc}, rack ${n.rack}) replaces "${n.replaces}" of dc ${target.n.dc}, rack ${target.n.rack}`,
        hint: 'a replacement takes over its node\'s tokens in the same dc and rack; give it the same dc and rack',
      });
    }
    const first = replacedBy.get(n.replaces);
    if (first !== undefined) {
      out.push({ ...at, message: `node "${n.replaces}" is replaced twice (also by nodes[${first}])`, hint: 'one replacement per dead node' });
    } else replacedBy.set(n.replaces, i);
  });
}

/**
 * Reads an inventory file (UTF-8, synchronously: inventories are small) and
 * parses it with {@link parseInventory}; `fileName` defaults to `path`.
 * @throws InventoryError (a `WorkflowError`), also when the file cannot be read
 */
export function loadInventory(path: string, options: ParseInventoryOptions = {}): ClusterInventory {
  const fileName = options.fileName ?? path;
  const tooBig = oversizedFileProblem(path, fileName, 'inventory', options.limits);
  if (tooBig) throw new InventoryError([tooBig]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InventoryError([{ message: `cannot read inventory file ${path}: ${(e as Error).message}`, hint: 'check the path and its permissions' }], { cause: e });
  }
  return parseInventory(text, { ...options, fileName });
}
