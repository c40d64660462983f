import path from 'node:path';
import { loadInventory, planJob, resolveVariables, type JobPlan, type PluginRegistry, type Targeting, type Workflow } from '@scylla-cp/core';
import { scyllaRingProvider, scyllaRoleProvider } from '@scylla-cp/tasks-scylla';
import { assertFile, readWorkflow } from './workflow-inputs.js';

/**
 * What `plan`, `preflight` and `run` plan from (issue 15): like `buildPlan`,
 * but through `planJob` with the ScyllaDB ring provider (for
 * `concurrency_unit: replica_set`) and role provider (for `order:
 * role_aware`), which read the cluster's REST API only when the workflow
 * needs them.
 */
export async function buildPlanWithProviders(
  cwd: string,
  opts: { workflow: string; inventory: string; targeting: Targeting; vars: Record<string, string> },
  registry: PluginRegistry,
): Promise<{ workflow: Workflow; plan: JobPlan }> {
  const workflow = readWorkflow(cwd, opts.workflow, registry);
  const invPath = path.resolve(cwd, opts.inventory);
  assertFile(invPath, 'inventory (-i)');
  const inventory = loadInventory(invPath);
  const variables = resolveVariables(workflow, opts.vars);
  const ringProvider = scyllaRingProvider();
  const roleProvider = scyllaRoleProvider();
  try {
    return { workflow, plan: await planJob(workflow, inventory, opts.targeting, variables, { registry, ringProvider, roleProvider }) };
  } finally {
    await ringProvider.close();
    await roleProvider.close();
  }
}
