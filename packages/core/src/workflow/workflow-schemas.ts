import { z } from 'zod';
import type { TaggedValue } from './workflow.js';
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
export const concurrencyUnitSchema = z.enum(['zone', 'rack', 'dc', 'node']);

/** `concurrency_limit`: at most this many nodes of a group at once; an integer >= 1. */
export const concurrencyLimitSchema = z.int({ error: 'concurrency_limit must be a whole number >= 1' }).min(1, {
  error: 'concurrency_limit must be at least 1',
});

/** `retry_backoff` of a task entry. Seconds; every field optional. */
export const retryBackoffSchema = z.strictObject({
  /** Delay before the first retry, seconds (> 0). */
  initial_seconds: z.number().positive().optional(),
  /** Factor applied to each later delay (>= 1). */
  multiplier: z.number().min(1).optional(),
  /** Upper bound of a delay, seconds (> 0). */
  max_seconds: z.number().positive().optional(),
});

/** One task entry: `- task: !tag {...}` with its retry and timeout settings. */
export const taskEntrySchema = z.strictObject({
  task: taggedValueSchema,
  retries: z.int().min(0).optional(),
  retry_backoff: retryBackoffSchema.optional(),
  timeout_seconds: z.number().positive().optional(),
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

/** The top level of a workflow file (task parameters are validated separately, per tag). */
export const workflowFileSchema = z.strictObject({
  name: z.string().min(1, { error: 'the workflow needs a non-empty name' }),
  description: z.string().optional(),
  variables: z.array(variableDeclarationSchema).optional(),
  node_workflow_defaults: nodeWorkflowDefaultsSchema.optional(),
  cluster_tasks: z.array(taskEntrySchema).min(1, { error: 'cluster_tasks needs at least one task' }),
});
