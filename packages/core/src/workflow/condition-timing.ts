import { DEFAULT_CONDITION_TIMING } from '../api/condition.js';

/** The YAML timing keys of a condition entry, as written (seconds; absent: the default). */
export interface ConditionTimingFields {
  success_window_seconds?: number | undefined;
  poll_interval_seconds?: number | undefined;
  timeout_seconds?: number | undefined;
}

/** One reason a condition wait can never pass, as a zod custom issue placed on the key at fault. */
export interface ConditionTimingIssue {
  code: 'custom';
  message: string;
  path: string[];
  /** The sibling keys the rule reads; a rule involving a `+variable+` without a value yet waits for plan(). */
  params: { involves: string[] };
}

/**
 * Why a wait with this timing could never pass (empty when it can), with
 * defaults from `DEFAULT_CONDITION_TIMING` for absent keys:
 *
 * - a success window > 0 that is not shorter than the timeout: the
 *   condition would have to hold for the whole wait and longer;
 * - a poll interval longer than a timeout > 0: only the first poll would
 *   ever be made, so no window and no recovery could be observed.
 *
 * A timeout of 0 with a window of 0 is the documented "check once" and is
 * accepted.
 */
export function conditionTimingIssues(entry: ConditionTimingFields): ConditionTimingIssue[] {
  const issues: ConditionTimingIssue[] = [];
  const window = entry.success_window_seconds ?? DEFAULT_CONDITION_TIMING.successWindowSeconds;
  const poll = entry.poll_interval_seconds ?? DEFAULT_CONDITION_TIMING.pollIntervalSeconds;
  const timeout = entry.timeout_seconds ?? DEFAULT_CONDITION_TIMING.timeoutSeconds;
  const said = (key: keyof ConditionTimingFields, v: number) => (entry[key] === undefined ? `${v} (the default)` : String(v));
  if (window > 0 && window >= timeout) {
    issues.push({
      code: 'custom',
      message: `success_window_seconds ${said('success_window_seconds', window)} is not shorter than timeout_seconds ${said('timeout_seconds', timeout)}: the condition can never hold for its whole window before the wait times out`,
      path: [entry.success_window_seconds !== undefined ? 'success_window_seconds' : 'timeout_seconds'],
      params: { involves: ['success_window_seconds', 'timeout_seconds'] },
    });
  }
  if (timeout > 0 && poll > timeout) {
    issues.push({
      code: 'custom',
      message: `poll_interval_seconds ${said('poll_interval_seconds', poll)} is longer than timeout_seconds ${said('timeout_seconds', timeout)}: the condition would be checked only once`,
      path: [entry.poll_interval_seconds !== undefined ? 'poll_interval_seconds' : 'timeout_seconds'],
      params: { involves: ['poll_interval_seconds', 'timeout_seconds'] },
    });
  }
  return issues;
}
