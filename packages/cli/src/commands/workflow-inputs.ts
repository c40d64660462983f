import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import {
  InventoryError,
  InvalidInputError,
  loadInventory,
  parseWorkflow,
  plan,
  resolveVariables,
  type ClusterInventory,
  type JobPlan,
  type PluginRegistry,
  type Targeting,
  type VariableValue,
  type Workflow,
  WorkflowError,
  type WorkflowProblem,
} from '@scylla-cp/core';

/** Checks that `abs` is a readable file; otherwise an `InvalidInputError` naming it and what it is for. */
export function assertFile(abs: string, what: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InvalidInputError(`${what} ${abs}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`, { code: 'BAD_FILE' });
  }
  if (st.isDirectory()) throw new InvalidInputError(`${what} ${abs} is a directory; give the path of a YAML file`, { code: 'BAD_FILE' });
}

/** Reads and parses a workflow file (errors carry file:line:column). */
export function readWorkflow(cwd: string, file: string, registry: PluginRegistry): Workflow {
  const abs = path.resolve(cwd, file);
  assertFile(abs, 'workflow');
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`workflow ${abs}: cannot read it (${(e as { code?: string }).code ?? (e as Error).message})`, { code: 'BAD_FILE' });
  }
  try {
    return parseWorkflow(text, { registry, fileName: file });
  } catch (e) {
    if (e instanceof WorkflowError && looksLike(text) === 'inventory') {
      throw new WorkflowError([swappedProblem(file, 'workflow'), ...e.problems], { code: e.code });
    }
    throw e;
  }
}

/** Which of the two files `text` looks like by its top-level keys (`nodes:` or `cluster_tasks:`), if either. */
function looksLike(text: string): 'workflow' | 'inventory' | undefined {
  const contents = parseDocument(text).contents;
  if (!isMap(contents)) return undefined;
  const keys = new Set(contents.items.map((p) => (isScalar(p.key) ? p.key.value : undefined)));
  if (keys.has('nodes') && !keys.has('cluster_tasks')) return 'inventory';
  if (keys.has('cluster_tasks') && !keys.has('nodes')) return 'workflow';
  return undefined;
}

/** The problem that heads the list when the workflow and the inventory were given the other way round. */
function swappedProblem(file: string, expected: 'workflow' | 'inventory'): WorkflowProblem {
  const other = expected === 'workflow' ? 'a cluster inventory (it has "nodes:")' : 'a workflow (it has "cluster_tasks:")';
  return {
    message: `this file was given as the ${expected} but looks like ${other}`,
    hint: 'the workflow comes first and the inventory after -i: scylla-cp plan <workflow.yaml> -i <inventory.yaml>',
    location: { file, line: 1, column: 1 },
  };
}

/** Reads and parses an inventory file given by `flag` (errors name the flag, and carry file:line:column). */
export function readInventory(cwd: string, file: string, flag: string): ClusterInventory {
  const abs = path.resolve(cwd, file);
  assertFile(abs, `inventory (${flag})`);
  try {
    return loadInventory(abs);
  } catch (e) {
    if (e instanceof InventoryError && looksLike(fs.readFileSync(abs, 'utf8')) === 'workflow') {
      throw new InventoryError([swappedProblem(abs, 'inventory'), ...e.problems], { code: e.code });
    }
    throw e;
  }
}

/** What a plan is bound from, each read and validated: the workflow, the inventory (`-i`) and the variables (`--var`). */
export interface PlanInputs {
  workflow: Workflow;
  inventory: ClusterInventory;
  variables: Record<string, VariableValue>;
}

/** Reads the workflow and the inventory, and resolves the variables against the workflow's declarations. */
export function readPlanInputs(cwd: string, opts: { workflow: string; inventory: string; vars: Record<string, string> }, registry: PluginRegistry): PlanInputs {
  const workflow = readWorkflow(cwd, opts.workflow, registry);
  const inventory = readInventory(cwd, opts.inventory, '-i');
  return { workflow, inventory, variables: resolveVariables(workflow, opts.vars) };
}

/** Everything `plan` and `run` need, validated: workflow, inventory, variables, plan. */
export function buildPlan(
  cwd: string,
  opts: { workflow: string; inventory: string; targeting: Targeting; vars: Record<string, string> },
  registry: PluginRegistry,
): { workflow: Workflow; plan: JobPlan } {
  const { workflow, inventory, variables } = readPlanInputs(cwd, opts, registry);
  return { workflow, plan: plan(workflow, inventory, opts.targeting, variables, { registry }) };
}
