import fs from 'node:fs';
import path from 'node:path';
import { loadInventory, parseWorkflow, plan, resolveVariables, type JobPlan, type PluginRegistry, type Targeting, type Workflow } from '@scylla-cp/core';

/** Reads and parses a workflow file (errors carry file:line:column). */
export function readWorkflow(cwd: string, file: string, registry: PluginRegistry): Workflow {
  const abs = path.resolve(cwd, file);
  const text = fs.readFileSync(abs, 'utf8');
  return parseWorkflow(text, { registry, fileName: file });
}

/** Everything `plan` and `run` need, validated: workflow, inventory, variables, plan. */
export function buildPlan(
  cwd: string,
  opts: { workflow: string; inventory: string; targeting: Targeting; vars: Record<string, string> },
  registry: PluginRegistry,
): { workflow: Workflow; plan: JobPlan } {
  const workflow = readWorkflow(cwd, opts.workflow, registry);
  const inventory = loadInventory(path.resolve(cwd, opts.inventory));
  const variables = resolveVariables(workflow, opts.vars);
  return { workflow, plan: plan(workflow, inventory, opts.targeting, variables, { registry }) };
}
