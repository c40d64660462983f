import { z } from 'zod';
import { ConditionCheck, type ClusterCondition, type ConditionResult, type NodeCondition } from '../api/condition.js';
import type { ClusterExecutionContext, NodeExecutionContext } from '../api/context.js';
import type { ExecuteClusterTask, ExecuteNodeTask } from '../api/task.js';
import { waitForCondition } from '../engine/wait-for-condition.js';
import { InvalidInputError } from '../errors/input-errors.js';
import { UnrecoverableError } from '../errors/task-errors.js';
import { definePlugin, type TagDefinition, type TagFactoryHelpers } from '../plugin/plugin.js';
import { CORE_VERSION } from '../version.js';
import { NODE_WORKFLOW_MEMBERSHIPS } from '../plan/membership-filter.js';
import { conditionTimingIssues } from '../workflow/condition-timing.js';
import { concurrencyLimitSchema, concurrencyUnitSchema, durationSecondsSchema, nodeOrderSchema, replicaSetOptionsSchema, taggedValueSchema, taskEntrySchema } from '../workflow/workflow-schemas.js';

/** The name core's own plugin registers under. */
export const CORE_PLUGIN_NAME = '@scylla-cp/core';

/** Parameters of `!node-workflow` (a cluster task that the planner expands; see the README). */
export const nodeWorkflowParamsSchema = z.strictObject({
  /** Shown in plans and progress. */
  name: z.string().min(1),
  /** The node tasks, run in order on each targeted node. */
  node_tasks: z.array(taskEntrySchema).min(1, { error: 'node_tasks needs at least one task' }),
  /** @default node_workflow_defaults.concurrency_unit, else 'zone' */
  concurrency_unit: concurrencyUnitSchema.optional(),
  /** @default node_workflow_defaults.concurrency_limit, else 1 */
  concurrency_limit: concurrencyLimitSchema.optional(),
  /** @default node_workflow_defaults.abort_on_first_failure, else true */
  abort_on_first_failure: z.boolean().optional(),
  /** With `concurrency_unit: replica_set`: `{ keyspaces?, within? }` (see the README). */
  replica_set: replicaSetOptionsSchema.optional(),
  /** `inventory` or `role_aware` (unhealthy first, leader last). @default 'inventory' */
  order: nodeOrderSchema.optional(),
  /** Which targeted nodes it runs on: `existing` members, `new` nodes (joiners and replacements), or `all`. @default 'existing' */
  membership: z.enum(NODE_WORKFLOW_MEMBERSHIPS).optional(),
});

/**
 * One entry of `!wait-for-conditions`' `conditions`. Seconds (each at most 30
 * days); defaults from `DEFAULT_CONDITION_TIMING`. A wait that can never pass
 * is refused (see {@link conditionTimingIssues}).
 */
export const conditionEntrySchema = z
  .strictObject({
    condition: taggedValueSchema,
    /** @default 0 */
    success_window_seconds: durationSecondsSchema({ allowZero: true }).optional(),
    /** @default 5 */
    poll_interval_seconds: durationSecondsSchema().optional(),
    /** @default 300 */
    timeout_seconds: durationSecondsSchema({ allowZero: true }).optional(),
    /** Past the timeout, keep waiting while the condition's progress measure improves; fail after this long without improvement. @default none */
    stall_timeout_seconds: durationSecondsSchema().optional(),
  })
  .superRefine((entry, ctx) => {
    for (const issue of conditionTimingIssues(entry)) ctx.addIssue({ ...issue, input: entry });
  });

/** Parameters of `!wait-for-conditions`. */
export const waitForConditionsParamsSchema = z.strictObject({
  conditions: z.array(conditionEntrySchema).min(1, { error: 'conditions needs at least one condition' }),
});

/** Parameters of `!sleep`. */
export const sleepParamsSchema = z.strictObject({
  /** How long to sleep, seconds (>= 0, at most 30 days). */
  seconds: durationSecondsSchema({ allowZero: true }),
});

/** Parameters of `!approval`. */
export const approvalParamsSchema = z.strictObject({
  /** What the operator should check before approving (shown in the pause, the page and `status`). */
  message: z.string().min(1).optional(),
});

type WaitParams = z.output<typeof waitForConditionsParamsSchema>;

/** Keeps a definition's parameter type while storing it in the untyped manifest maps. */
function tag<S extends z.ZodType, T>(def: TagDefinition<S, T>): TagDefinition<z.ZodType, T> {
  return def as unknown as TagDefinition<z.ZodType, T>;
}

function buildChecks(params: WaitParams, helpers: TagFactoryHelpers, scope: 'node' | 'cluster'): ConditionCheck[] {
  return params.conditions.map((entry) => {
    const tag = entry.condition.$tag;
    const def = helpers.registry.condition(tag);
    if (def && scope === 'cluster' && def.scope !== 'cluster') {
      throw new InvalidInputError(
        `!wait-for-conditions at cluster level cannot wait for !${tag}: it checks one node; use it inside a !node-workflow, or use a cluster condition`,
        { code: 'INVALID_PARAMS', details: { tag } },
      );
    }
    const condition = helpers.registry.create('condition', tag, entry.condition.value ?? {}) as NodeCondition | ClusterCondition;
    return new ConditionCheck(condition, {
      successWindowSeconds: entry.success_window_seconds,
      pollIntervalSeconds: entry.poll_interval_seconds,
      timeoutSeconds: entry.timeout_seconds,
      ...(entry.stall_timeout_seconds !== undefined ? { stallTimeoutSeconds: entry.stall_timeout_seconds } : {}),
    });
  });
}

/** Waits for each check in order; resolves with their last results. */
async function waitAll(checks: ConditionCheck[], ctx: ClusterExecutionContext | NodeExecutionContext): Promise<{ results: ConditionResult[] }> {
  const results: ConditionResult[] = [];
  for (const check of checks) results.push(await waitForCondition(check, ctx));
  return { results };
}

class WaitForConditionsNodeTask implements ExecuteNodeTask {
  constructor(private readonly checks: ConditionCheck[]) {}
  name() {
    return 'wait-for-conditions';
  }
  preconditions() {
    return [];
  }
  execute(ctx: NodeExecutionContext) {
    return waitAll(this.checks, ctx);
  }
}

class WaitForConditionsClusterTask implements ExecuteClusterTask {
  constructor(private readonly checks: ConditionCheck[]) {}
  name() {
    return 'wait-for-conditions';
  }
  preconditions() {
    return [];
  }
  execute(ctx: ClusterExecutionContext) {
    return waitAll(this.checks, ctx);
  }
}

class SleepTask implements ExecuteNodeTask, ExecuteClusterTask {
  constructor(private readonly seconds: number) {}
  name() {
    return 'sleep';
  }
  preconditions() {
    return [];
  }
  async execute(ctx: ClusterExecutionContext) {
    await ctx.clock.sleep(this.seconds * 1000, ctx.signal);
  }
}

class NodeWorkflowTask implements ExecuteClusterTask {
  constructor(private readonly workflowName: string) {}
  name() {
    return 'node-workflow';
  }
  preconditions() {
    return [];
  }
  execute(): Promise<unknown> {
    return Promise.reject(
      new UnrecoverableError(
        `!node-workflow "${this.workflowName}" was executed as a task; it is expanded into per-node steps by plan(), so run the job from a plan instead of creating this task directly`,
        { code: 'NODE_WORKFLOW_EXECUTED' },
      ),
    );
  }
}

class ApprovalTask implements ExecuteClusterTask {
  name() {
    return 'approval';
  }
  preconditions() {
    return [];
  }
  execute(): Promise<unknown> {
    return Promise.reject(
      new UnrecoverableError('!approval was executed as a task; the engine pauses the job at it until `scylla-cp approve` records the approval, so run it in a job', {
        code: 'APPROVAL_EXECUTED',
      }),
    );
  }
}

/**
 * Core's own tags, registered like any plugin (`registry.register(corePlugin)`):
 *
 * - `!node-workflow` (cluster task): runs `node_tasks` on every targeted node,
 *   grouped by `concurrency_unit`; expanded by the planner, never executed.
 * - `!wait-for-conditions` (node task and cluster task): waits for each
 *   condition in order, each with its own success window, poll interval and
 *   timeout (seconds; defaults 0, 5, 300). At cluster level only cluster
 *   conditions are allowed.
 * - `!sleep {seconds}` (node task and cluster task): waits on the job's clock.
 *   Prefer waiting for a condition; use it only when nothing observable exists.
 * - `!approval {message?}` (cluster task): a human gate. The engine pauses the
 *   job there (its status and page say how to approve) until an operator runs
 *   `scylla-cp approve <job>` (`Engine.approve`), recorded with the approver.
 */
export const corePlugin = definePlugin({
  name: CORE_PLUGIN_NAME,
  version: CORE_VERSION,
  coreVersion: CORE_VERSION,
  clusterTasks: {
    'node-workflow': tag({
      description: 'Run node tasks on every targeted node, one concurrency group at a time.',
      params: nodeWorkflowParamsSchema,
      create: (params) => new NodeWorkflowTask(params.name),
    }),
    'wait-for-conditions': tag({
      description: 'Wait until each cluster condition holds for its success window (in order).',
      params: waitForConditionsParamsSchema,
      create: (params, helpers) => new WaitForConditionsClusterTask(buildChecks(params, helpers, 'cluster')),
    }),
    sleep: tag({
      description: 'Sleep for a fixed number of seconds (prefer waiting for a condition).',
      params: sleepParamsSchema,
      create: (params) => new SleepTask(params.seconds),
    }),
    approval: tag({
      description: 'Pause the job until an operator approves (scylla-cp approve <job>); recorded with the approver.',
      params: approvalParamsSchema,
      create: () => new ApprovalTask(),
    }),
  },
  nodeTasks: {
    'wait-for-conditions': tag({
      description: 'Wait until each condition holds for its success window (in order).',
      params: waitForConditionsParamsSchema,
      create: (params, helpers) => new WaitForConditionsNodeTask(buildChecks(params, helpers, 'node')),
    }),
    sleep: tag({
      description: 'Sleep for a fixed number of seconds (prefer waiting for a condition).',
      params: sleepParamsSchema,
      create: (params) => new SleepTask(params.seconds),
    }),
  },
});
