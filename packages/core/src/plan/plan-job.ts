import type { VariableValue } from '../api/context.js';
import type { ClusterInventory } from '../inventory/inventory.js';
import type { Workflow } from '../workflow/workflow.js';
import type { JobPlan, NodeRoleProvider, Targeting } from './job-plan.js';
import { plan, type PlanOptions } from './planner.js';
import type { KeyspaceRing, RingProvider, TokenRing } from './token-ring.js';
import { NODE_WORKFLOW_TAG } from '../workflow/parse-workflow.js';

/** Options of {@link planJob}. */
export interface PlanJobOptions extends Omit<PlanOptions, 'ring' | 'ringProvider' | 'roles'> {
  /** Reads the token ring when a node workflow uses `concurrency_unit: replica_set`. */
  ringProvider?: RingProvider;
  /** Reads node roles when a node workflow uses `order: role_aware`. */
  roleProvider?: NodeRoleProvider;
}

function needsRoles(workflow: Workflow): boolean {
  return workflow.clusterTasks.some((e) => e.tag === NODE_WORKFLOW_TAG && ((e.params ?? {}) as { order?: unknown }).order !== undefined && ((e.params ?? {}) as { order?: unknown }).order !== 'inventory');
}

/** The replica_set keyspace selections of a workflow: `undefined` stands for "every non-local keyspace". */
function ringNeeds(workflow: Workflow): { all: boolean; named: Set<string> } | undefined {
  let needs: { all: boolean; named: Set<string> } | undefined;
  const d = workflow.nodeWorkflowDefaults.concurrencyUnit;
  for (const entry of workflow.clusterTasks) {
    if (entry.tag !== NODE_WORKFLOW_TAG) continue;
    const p = (entry.params ?? {}) as { concurrency_unit?: unknown; replica_set?: { keyspaces?: unknown } };
    const unit = p.concurrency_unit ?? d;
    if (unit !== 'replica_set' && !(typeof unit === 'string' && unit.startsWith('+'))) continue;
    needs ??= { all: false, named: new Set() };
    const ks = p.replica_set?.keyspaces;
    if (Array.isArray(ks) && ks.every((k) => typeof k === 'string' && !k.includes('+'))) for (const k of ks) needs.named.add(k as string);
    else needs.all = true;
  }
  return needs;
}

/**
 * {@link plan}, reading the token ring first when the workflow needs it
 * (a node workflow with `concurrency_unit: replica_set`): one
 * `ringProvider.ring()` call for every non-local keyspace when some step uses
 * the default, plus one for named keyspaces not in it. Without such a step
 * the provider is not called. The ring re-check (`recheckCondition`) is
 * wired in as well. Likewise node roles are read (once) from `roleProvider`
 * when a node workflow uses `order: role_aware`.
 * @throws what {@link plan} throws; the provider's errors as they are
 */
export async function planJob(
  workflow: Workflow,
  inventory: ClusterInventory,
  targeting: Targeting,
  variables: Readonly<Record<string, string | VariableValue>>,
  options: PlanJobOptions,
): Promise<JobPlan> {
  const { ringProvider, roleProvider, ...base } = options;
  const rest: Omit<PlanOptions, 'ring' | 'ringProvider'> = { ...base };
  if (roleProvider && needsRoles(workflow)) rest.roles = await roleProvider.roles(inventory);
  const needs = ringNeeds(workflow);
  if (!needs || !ringProvider) return plan(workflow, inventory, targeting, variables, { ...rest, ...(ringProvider ? { ringProvider } : {}) });
  const keyspaces = new Map<string, KeyspaceRing>();
  if (needs.all) for (const k of (await ringProvider.ring(inventory)).keyspaces) keyspaces.set(k.keyspace, k);
  const missing = [...needs.named].filter((k) => !keyspaces.has(k)).sort();
  if (missing.length > 0) {
    for (const k of (await ringProvider.ring(inventory, missing)).keyspaces) if (!keyspaces.has(k.keyspace)) keyspaces.set(k.keyspace, { ...k, local: k.local ?? needs.all });
  }
  const ring: TokenRing = { keyspaces: [...keyspaces.values()] };
  return plan(workflow, inventory, targeting, variables, { ...rest, ring, ringProvider });
}
