/**
 * YAML for a one-step workflow, so that a single task or condition runs
 * through the real parser, planner and engine (retries, timeouts, error
 * classification, step records) exactly as it would in an operator's workflow.
 */

/** Step options of {@link singleTaskWorkflow}, as in workflow YAML. */
export interface TaskStepOptions {
  /** Attempts after the first one. @default the workflow language's default */
  retries?: number;
  /** Seconds before one attempt is aborted. @default the workflow language's default */
  timeoutSeconds?: number;
}

/** Polling options of {@link singleConditionWorkflow}, as in workflow YAML. */
export interface ConditionCheckOptions {
  /** Seconds the condition must hold on every poll. @default 0 */
  successWindowSeconds?: number;
  /** Seconds between polls. @default 1 */
  pollIntervalSeconds?: number;
  /** Seconds before the wait fails. @default 60 */
  timeoutSeconds?: number;
}

// JSON is YAML: a tag followed by a JSON object is a tagged flow mapping.
const tagged = (tag: string, params: Record<string, unknown>): string => `!${tag} ${JSON.stringify(params)}`;

function stepKeys(o: TaskStepOptions, indent: string): string {
  let out = '';
  if (o.retries !== undefined) out += `${indent}retries: ${o.retries}\n`;
  if (o.timeoutSeconds !== undefined) out += `${indent}timeout_seconds: ${o.timeoutSeconds}\n`;
  return out;
}

/**
 * A workflow running one task: a cluster task as the only cluster step, or a
 * node task inside a `!node-workflow` (the planner's targeting picks the nodes).
 */
export function singleTaskWorkflow(scope: 'node' | 'cluster', tag: string, params: Record<string, unknown>, options: TaskStepOptions = {}): string {
  if (scope === 'cluster') {
    return `name: run !${tag}\ncluster_tasks:\n  - task: ${tagged(tag, params)}\n${stepKeys(options, '    ')}`;
  }
  return (
    `name: run !${tag}\ncluster_tasks:\n  - task: !node-workflow\n      name: run !${tag}\n      concurrency_unit: node\n      node_tasks:\n` +
    `        - task: ${tagged(tag, params)}\n${stepKeys(options, '          ')}`
  );
}

/** A workflow that waits for one condition with `!wait-for-conditions` (on the targeted nodes, or once for the cluster). */
export function singleConditionWorkflow(scope: 'node' | 'cluster', tag: string, params: Record<string, unknown>, options: ConditionCheckOptions = {}): string {
  const check = (indent: string) =>
    `${indent}- condition: ${tagged(tag, params)}\n` +
    `${indent}  success_window_seconds: ${options.successWindowSeconds ?? 0}\n` +
    `${indent}  poll_interval_seconds: ${options.pollIntervalSeconds ?? 1}\n` +
    `${indent}  timeout_seconds: ${options.timeoutSeconds ?? 60}\n`;
  if (scope === 'cluster') {
    return `name: wait for !${tag}\ncluster_tasks:\n  - task: !wait-for-conditions\n      conditions:\n${check('        ')}`;
  }
  return (
    `name: wait for !${tag}\ncluster_tasks:\n  - task: !node-workflow\n      name: wait for !${tag}\n      concurrency_unit: node\n      node_tasks:\n` +
    `        - task: !wait-for-conditions\n            conditions:\n${check('              ')}`
  );
}
