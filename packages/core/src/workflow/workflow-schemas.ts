import { z } from 'zod';
import type { TaggedValue } from './workflow.js';
import { MaintenanceWindow } from '../util/maintenance-window.js';
import { conditionTimingIssues } from './condition-timing.js';
import { VARIABLE_NAME_PATTERN, VARIABLE_TYPES } from './variables.js';
import { isTaggedValue } from './yaml-tree.js';

/** Metadata key marking {@link taggedValueSchema} in generated JSON Schemas (replaced by a reference to the conditions). */
export const TAGGED_VALUE_MARK = 'x-scylla-cp-tagged-value';
/** Metadata key marking {@link taskEntrySchema} in generated JSON Schemas (replaced by a reference to node task entries). */
export const TASK_ENTRY_MARK = 'x-scylla-cp-task-entry';

/**
 * A tagged value (`!compactions-nominal {max_pending: 10}`) inside
 * parameters: in a parsed workflow a {@link TaggedValue}, in a stored plan its
 * JSON form `{ $tag, value }`. Use it in a tag's params schema where a nested
 * tag goes (core's `!wait-for-conditions` does for `condition`).
 */
export const taggedValueSchema = z.custom<TaggedValue>((v) => isTaggedValue(v), {
  error: 'expected a tag here, e.g. !compactions-nominal',
}).meta({ [TAGGED_VALUE_MARK]: true });

/** `concurrency_unit`: how the nodes of a node workflow are grouped. */
export const concurrencyUnitSchema = z.enum(['zone', 'rack', 'dc', 'node', 'replica_set']);

/**
 * `replica_set` of a `!node-workflow` with `concurrency_unit: replica_set`:
 * which keyspaces count (default: every non-local one) and whether the
 * zones (racks, dcs) also run one after another.
 */
export const replicaSetOptionsSchema = z.strictObject({
  keyspaces: z.array(z.string().min(1)).min(1, { error: 'name at least one keyspace, or leave keyspaces out for every non-local keyspace' }).optional(),
  within: z.enum(['zone', 'rack', 'dc']).optional(),
});

/**
 * `order` of a node workflow: `inventory` (the default) or `role_aware`:
 * unhealthy targets first and the group0 leader last, within each batch and
 * across batches (read at plan time).
 */
export const nodeOrderSchema = z.enum(['inventory', 'role_aware']);

/** `concurrency_limit`: at most this many nodes of a group at once; an integer >= 1. */
export const concurrencyLimitSchema = z.int({ error: 'concurrency_limit must be a whole number >= 1' }).min(1, {
  error: 'concurrency_limit must be at least 1',
});

/**
 * The longest duration the workflow language accepts anywhere (timeouts,
 * sleeps, backoff, success windows, poll intervals, grace periods): 30 days,
 * in seconds. Longer than Node's 2^31-1 ms timer limit (about 24.8 days),
 * which the clocks handle; anything longer is almost surely a unit mistake
 * (milliseconds written as seconds).
 */
export const MAX_DURATION_SECONDS = 30 * 24 * 3600;

/**
 * A duration in seconds: a finite number, > 0 (or >= 0 with `allowZero`),
 * at most {@link MAX_DURATION_SECONDS}. Use it for every duration parameter
 * of a tag so that workflows get the same bounds and messages everywhere.
 */
export function durationSecondsSchema(options: { allowZero?: boolean } = {}): z.ZodNumber {
  const base = z.number({ error: 'expected a number of seconds' });
  const lower = options.allowZero
    ? base.min(0, { error: 'a duration cannot be negative' })
    : base.positive({ error: 'a duration must be greater than 0 seconds' });
  return lower.max(MAX_DURATION_SECONDS, {
    error: `a duration is at most ${MAX_DURATION_SECONDS} seconds (30 days); was it written in milliseconds?`,
  });
}

/** `retry_backoff` of a task entry. Seconds; every field optional. */
export const retryBackoffSchema = z.strictObject({
  /** Delay before the first retry, seconds (> 0, at most 30 days). */
  initial_seconds: durationSecondsSchema().optional(),
  /** Factor applied to each later delay (>= 1, at most 1000). */
  multiplier: z.number().min(1).max(1000).optional(),
  /** Upper bound of a delay, seconds (> 0, at most 30 days). */
  max_seconds: durationSecondsSchema().optional(),
});

/** One task entry: `- task: !tag {...}` with its retry, timeout and grace settings. */
export const taskEntrySchema = z.strictObject({
  task: taggedValueSchema,
  retries: z.int().min(0).max(1000, { error: 'retries is at most 1000' }).optional(),
  retry_backoff: retryBackoffSchema.optional(),
  /** Per-attempt timeout, seconds (> 0, at most 30 days). @default none */
  timeout_seconds: durationSecondsSchema().optional(),
  /**
   * How long the engine waits, after a timeout or abort, for the attempt to
   * settle before it gives up on the node (seconds, >= 0, at most 30 days).
   * @default 60 (DEFAULT_ABANDON_GRACE_SECONDS)
   */
  abandon_grace_seconds: durationSecondsSchema({ allowZero: true }).optional(),
}).meta({ [TASK_ENTRY_MARK]: true });

/** `node_workflow_defaults`: defaults for every `!node-workflow` of the file. */
export const nodeWorkflowDefaultsSchema = z.strictObject({
  concurrency_unit: concurrencyUnitSchema.optional(),
  concurrency_limit: concurrencyLimitSchema.optional(),
  abort_on_first_failure: z.boolean().optional(),
});

/** One entry of `variables`. */
export const variableDeclarationSchema = z.strictObject({
  name: z.string().regex(VARIABLE_NAME_PATTERN, { error: 'a variable name is a letter or "_" followed by letters, digits or "_"' }),
  type: z.enum(VARIABLE_TYPES as [string, ...string[]]),
  description: z.string().optional(),
  default: z.unknown().optional(),
});

/**
 * One entry of a workflow's `gates`: a condition (node or cluster scope)
 * with its timing, checked before every node task of the workflow. Same
 * shape and rules as a `!wait-for-conditions` entry (seconds, each at most 30
 * days; defaults 0, 5, 300; a wait that can never pass is refused).
 */
export const gateEntrySchema = z
  .strictObject({
    condition: taggedValueSchema,
    /** @default 0 */
    success_window_seconds: durationSecondsSchema({ allowZero: true }).optional(),
    /** @default 5 */
    poll_interval_seconds: durationSecondsSchema().optional(),
    /** @default 300 */
    timeout_seconds: durationSecondsSchema({ allowZero: true }).optional(),
    /** Past the timeout, wait on while the condition's progress measure improves (issue 15). @default none */
    stall_timeout_seconds: durationSecondsSchema().optional(),
  })
  .superRefine((entry, ctx) => {
    for (const issue of conditionTimingIssues(entry)) ctx.addIssue({ ...issue, input: entry });
  });

/**
 * `maintenance_window` of a workflow: `{ schedule: 'Mon-Fri 09:00-17:00',
 * timezone: 'Europe/Paris' }` (see `MaintenanceWindow`). No node starts
 * outside it.
 */
export const maintenanceWindowSchema = z
  .strictObject({
    schedule: z.string().min(1),
    /** IANA zone. @default 'UTC' */
    timezone: z.string().min(1).optional(),
  })
  .superRefine((w, ctx) => {
    try {
      new MaintenanceWindow(w.timezone === undefined ? { schedule: w.schedule } : { schedule: w.schedule, timezone: w.timezone });
    } catch (e) {
      const code = (e as { code?: string }).code;
      ctx.addIssue({ code: 'custom', message: (e as Error).message, path: [code === 'INVALID_TIMEZONE' ? 'timezone' : 'schedule'], input: w });
    }
  });

/** The top level of a workflow file (task parameters are validated separately, per tag). */
export const workflowFileSchema = z.strictObject({
  name: z.string().min(1, { error: 'the workflow needs a non-empty name' }),
  description: z.string().optional(),
  variables: z.array(variableDeclarationSchema).optional(),
  node_workflow_defaults: nodeWorkflowDefaultsSchema.optional(),
  /** Conditions checked before every node task (e.g. `!alerts-silent`). @default none */
  gates: z.array(gateEntrySchema).optional(),
  /** When nodes may start. @default always */
  maintenance_window: maintenanceWindowSchema.optional(),
  /** Cluster tasks run when the job ends in any way (succeeded, failed, cancelled). @default none */
  finally_tasks: z.array(taskEntrySchema).optional(),
  cluster_tasks: z.array(taskEntrySchema).min(1, { error: 'cluster_tasks needs at least one task' }),
});
