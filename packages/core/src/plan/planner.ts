import type { z } from 'zod';
import type { VariableValue } from '../api/context.js';
import { InvalidInputError } from '../errors/input-errors.js';
import type { ClusterInventory } from '../inventory/inventory.js';
import { validateConnectionSettings } from '../inventory/validate-connection-settings.js';
import { MaintenanceWindow } from '../util/maintenance-window.js';
import type { PluginRegistry, TagKind } from '../plugin/plugin-registry.js';
import { NODE_WORKFLOW_TAG } from '../workflow/parse-workflow.js';
import { resolveVariables, substituteVariables } from '../workflow/variables.js';
import type { ConcurrencyUnit, NodeWorkflowSettings, ReplicaSetOptions, RetryBackoff, TaskEntry, Workflow } from '../workflow/workflow.js';
import { MAX_DURATION_SECONDS } from '../workflow/workflow-schemas.js';
import { isTaggedValue } from '../workflow/yaml-tree.js';
import type { JobPlan, NodeWorkflowStep, PlanStep, TaskSpec, Targeting } from './job-plan.js';
import { paramsError, where } from './plan-errors.js';
import { plannedGate } from './planned-gate.js';
import { planReplicaSets } from './replica-set-step.js';
import { planBatches } from './plan-batches.js';
import type { PlanOptions } from './plan-options.js';
export { planBatches } from './plan-batches.js';
export type { PlanOptions } from './plan-options.js';
import { orderByRoles } from './role-order.js';
import { selectNodes } from './targeting.js';
import { filterByMembership, type NodeWorkflowMembership } from './membership-filter.js';

/** Retries after the first attempt when a task entry sets no `retries`. */
export const DEFAULT_RETRIES = 0;

/**
 * Backoff when a task entry sets no (or a partial) `retry_backoff`: 5 s before
 * the first retry, doubling, at most 60 s.
 */
export const DEFAULT_RETRY_BACKOFF: Readonly<RetryBackoff> = Object.freeze({ initialSeconds: 5, multiplier: 2, maxSeconds: 60 });

/**
 * Node workflow settings when neither the `!node-workflow` nor the file's
 * `node_workflow_defaults` set them: one zone at a time, one node at a time,
 * halt on the first failure.
 */
export const DEFAULT_NODE_WORKFLOW_SETTINGS: Readonly<NodeWorkflowSettings> = Object.freeze({
  concurrencyUnit: 'zone',
  concurrencyLimit: 1,
  abortOnFirstFailure: true,
});

function validateWith(schema: z.ZodType, value: unknown, entry: TaskEntry, what: string): void {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw paramsError(entry, what, r.error.issues.map((i) => `${i.path.join('.') || '(parameters)'}: ${i.message}`).join('; '));
  }
}

function resolveNumber(
  raw: number | string | undefined,
  vars: Record<string, VariableValue>,
  entry: TaskEntry,
  field: string,
  ok: (n: number) => boolean,
  rule: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const v = typeof raw === 'string' ? substituteVariables(raw, vars) : raw;
  if (typeof v !== 'number' || !ok(v)) throw paramsError(entry, field, `${JSON.stringify(v)} is not ${rule}`);
  return v;
}

/** Resolves one task entry into a {@link TaskSpec} (variables substituted, defaults applied, parameters re-validated). */
function taskSpec(entry: TaskEntry, kind: TagKind, vars: Record<string, VariableValue>, registry: PluginRegistry): TaskSpec {
  const reg = registry.lookup(kind, entry.tag);
  if (!reg) {
    throw new InvalidInputError(`${where(entry)}: !${entry.tag} is not a registered ${kind === 'nodeTask' ? 'node task' : 'cluster task'}; register the plugin that provides it`, {
      code: 'UNKNOWN_TAG',
      details: { tag: entry.tag, kind },
    });
  }
  const params = substituteVariables(entry.params ?? {}, vars);
  validateWith(reg.definition.params as z.ZodType, params, entry, 'parameters');
  if (entry.tag !== NODE_WORKFLOW_TAG) {
    const visit = (v: unknown) => {
      if (isTaggedValue(v)) {
        const cond = registry.lookup('condition', v.$tag);
        if (!cond) throw paramsError(entry, 'condition', `!${v.$tag} is not a registered condition`);
        validateWith(cond.definition.params as z.ZodType, v.value ?? {}, entry, `condition !${v.$tag}`);
        visit(v.value);
      } else if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') Object.values(v).forEach(visit);
    };
    visit(params);
  }
  const spec: TaskSpec = {
    tag: entry.tag,
    params,
    retries: resolveNumber(entry.retries, vars, entry, 'retries', (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number >= 0') ?? DEFAULT_RETRIES,
    retryBackoff: { ...DEFAULT_RETRY_BACKOFF, ...(entry.retryBackoff ?? {}) },
  };
  const timeout = resolveNumber(
    entry.timeoutSeconds,
    vars,
    entry,
    'timeout_seconds',
    (n) => Number.isFinite(n) && n > 0 && n <= MAX_DURATION_SECONDS,
    `a number of seconds > 0 and at most ${MAX_DURATION_SECONDS} (30 days)`,
  );
  if (timeout !== undefined) spec.timeoutSeconds = timeout;
  const grace = resolveNumber(
    entry.abandonGraceSeconds,
    vars,
    entry,
    'abandon_grace_seconds',
    (n) => Number.isFinite(n) && n >= 0 && n <= MAX_DURATION_SECONDS,
    `a number of seconds >= 0 and at most ${MAX_DURATION_SECONDS} (30 days)`,
  );
  if (grace !== undefined) spec.abandonGraceSeconds = grace;
  return spec;
}

/** A JSON copy of the targeting with only the fields that were given. */
function normalizeTargeting(t: Targeting): Targeting {
  const out: Targeting = {};
  if (t.nodes !== undefined) out.nodes = [...t.nodes];
  if (t.zones !== undefined) out.zones = [...t.zones];
  if (t.exclude !== undefined) out.exclude = [...t.exclude];
  return out;
}

interface NodeWorkflowParams {
  name: string;
  order?: 'inventory' | 'role_aware';
  concurrency_unit?: ConcurrencyUnit;
  concurrency_limit?: number;
  abort_on_first_failure?: boolean;
  replica_set?: ReplicaSetOptions;
  membership?: NodeWorkflowMembership;
}

/**
 * Binds a parsed workflow to an inventory, a targeting and variable values,
 * producing the deterministic {@link JobPlan} the engine runs (same inputs,
 * same plan, byte for byte as JSON).
 *
 * - Variables: validated with {@link resolveVariables} (strings coerced by
 *   type); each `+name+` in parameters, `retries` and `timeout_seconds` is
 *   replaced; parameters (and nested conditions) are validated again with the
 *   tags' schemas. Tagged values become `{ $tag, value }`.
 * - Defaults: `retries` {@link DEFAULT_RETRIES}, `retry_backoff`
 *   {@link DEFAULT_RETRY_BACKOFF} (field by field), no per-attempt timeout.
 * - Each `!node-workflow` (step id `s<i>`) takes its settings from its own
 *   parameters, then `node_workflow_defaults`, then
 *   {@link DEFAULT_NODE_WORKFLOW_SETTINGS}, and is expanded into batches by
 *   {@link planBatches}. With `concurrency_unit: node` every batch holds one
 *   node, so nodes run strictly one at a time whatever `concurrency_limit` says.
 *   With `concurrency_unit: replica_set` the batches are replica sets computed
 *   from `options.ring` (see `replicaSetBatches`); without a ring that
 *   is `RING_REQUIRED`.
 * - `finally_tasks` become `finallySteps` (ids `f0`, `f1`, ...), cluster
 *   steps run when the job ends in any way.
 * - The workflow's `gates` become `TaskSpec.preconditions` of every node
 *   task (variables substituted, parameters and timing validated again).
 * - The inventory's connection settings are validated against the schemas
 *   the registered plugins declare ({@link validateConnectionSettings}).
 * - The inventory is copied into the plan, so a resume never depends on an
 *   inventory changed meanwhile.
 *
 * @throws InventoryError (`INVALID_INVENTORY`) for bad connection settings;
 *   InvalidInputError: `UNKNOWN_VARIABLE`, `MISSING_VARIABLE`,
 *   `INVALID_VARIABLE` (variables), `UNKNOWN_NODE`, `UNKNOWN_ZONE`,
 *   `EMPTY_SELECTION`, `INVALID_TARGETING` (targeting), `INVALID_PARAMS`
 *   (parameters invalid once variables are substituted), `UNKNOWN_TAG`.
 */
export function plan(
  workflow: Workflow,
  inventory: ClusterInventory,
  targeting: Targeting,
  variables: Readonly<Record<string, string | VariableValue>>,
  options: PlanOptions,
): JobPlan {
  const { registry } = options;
  validateConnectionSettings(inventory, registry);
  const vars = resolveVariables(workflow, variables);
  const selected = selectNodes(inventory, targeting);
  const gates = (workflow.gates ?? []).map((g) => plannedGate(g, vars, registry));
  const steps: PlanStep[] = workflow.clusterTasks.map((entry, i): PlanStep => {
    const id = `s${i}`;
    const spec = taskSpec(entry, 'clusterTask', vars, registry);
    if (entry.tag !== NODE_WORKFLOW_TAG) return { kind: 'cluster-task', id, task: spec };
    const p = spec.params as NodeWorkflowParams;
    const d = workflow.nodeWorkflowDefaults;
    const unit = p.concurrency_unit ?? d.concurrencyUnit ?? DEFAULT_NODE_WORKFLOW_SETTINGS.concurrencyUnit;
    if (p.replica_set !== undefined && unit !== 'replica_set') {
      throw paramsError(entry, 'replica_set', `replica_set settings need concurrency_unit: replica_set (this node workflow groups by ${unit})`);
    }
    const tasks = (entry.nodeTasks ?? []).map((t) => {
      const spec = taskSpec(t, 'nodeTask', vars, registry);
      if (gates.length > 0) spec.preconditions = gates.map((g) => structuredClone(g));
      return spec;
    });
    const limit = p.concurrency_limit ?? d.concurrencyLimit;
    const nodes = filterByMembership(inventory, selected, p.membership ?? 'existing', p.name);
    const step: NodeWorkflowStep = {
      kind: 'node-workflow',
      id,
      name: p.name,
      concurrencyUnit: unit,
      concurrencyLimit: limit ?? DEFAULT_NODE_WORKFLOW_SETTINGS.concurrencyLimit,
      abortOnFirstFailure: p.abort_on_first_failure ?? d.abortOnFirstFailure ?? DEFAULT_NODE_WORKFLOW_SETTINGS.abortOnFirstFailure,
      tasks,
      batches: unit === 'replica_set' ? [] : planBatches(id, nodes, unit),
    };
    if (p.membership === 'new' || p.membership === 'all') step.membership = p.membership;
    if (unit === 'replica_set') planReplicaSets(step, entry, p.replica_set ?? {}, limit, nodes, inventory, options);
    if (p.order === 'role_aware') {
      if (!options.roles) {
        throw new InvalidInputError(
          `${where(entry)}: !node-workflow "${step.name}" uses order: role_aware, which needs the nodes' roles; plan it with planJob() and a NodeRoleProvider`,
          { code: 'ROLES_REQUIRED', details: { step: step.id } },
        );
      }
      orderByRoles(step, options.roles);
    }
    return step;
  });
  const window = options.maintenanceWindow ?? workflow.maintenanceWindow;
  const out: JobPlan = {
    formatVersion: 1,
    workflowName: workflow.name,
    cluster: inventory.name,
    inventory: structuredClone(inventory),
    targeting: normalizeTargeting(targeting),
    variables: vars,
    steps,
  };
  const finals = workflow.finallyTasks ?? [];
  if (finals.length > 0) out.finallySteps = finals.map((entry, i) => ({ kind: 'cluster-task', id: `f${i}`, task: taskSpec(entry, 'clusterTask', vars, registry) }));
  if (window) {
    new MaintenanceWindow(window); // throws INVALID_WINDOW / INVALID_TIMEZONE
    out.maintenanceWindow = { schedule: window.schedule, timezone: window.timezone ?? 'UTC' };
  }
  return out;
}
