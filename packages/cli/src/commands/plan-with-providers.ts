import { planJob, type JobPlan, type PluginRegistry, type Targeting, type Workflow } from '@scylla-cp/core';
import { scyllaRingProvider, scyllaRoleProvider } from '@scylla-cp/tasks-scylla';
import { readPlanInputs } from './workflow-inputs.js';

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
  const { workflow, inventory, variables } = readPlanInputs(cwd, opts, registry);
  const ringProvider = scyllaRingProvider();
  const roleProvider = scyllaRoleProvider();
  try {
    return { workflow, plan: await planJob(workflow, inventory, opts.targeting, variables, { registry, ringProvider, roleProvider }) };
  } finally {
    await ringProvider.close();
    await roleProvider.close();
  }
}
