import {
  ACTIVE_JOB_STATES,
  COMPLETED_STEP_STATES,
  InvalidInputError,
  LeaseHeldError,
  StaleFencingTokenError,
  type ControlRequest,
  type JobState,
  type Lease,
} from '@scylla-cp/core';

/** `('a', 'b')`: a SQL list of (quote-free) state names, for `IN` and `CHECK` clauses. */
export function sqlList(states: readonly string[]): string {
  return `(${states.map((s) => `'${s}'`).join(', ')})`;
}

/** Every job state, as a SQL list (for a `CHECK` constraint). */
export const JOB_STATES_SQL_LIST: string = sqlList(['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] satisfies JobState[]);
/** Every step state, as a SQL list (for a `CHECK` constraint). */
export const STEP_STATES_SQL_LIST: string = sqlList(['pending', 'running', 'succeeded', 'failed', 'skipped']);
/** Job states that hold the cluster lock, as a SQL list. */
export const ACTIVE_SQL_LIST: string = sqlList(ACTIVE_JOB_STATES);
/** Step states a resume never runs again, as a SQL list. */
export const COMPLETED_SQL_LIST: string = sqlList(COMPLETED_STEP_STATES);

const ACTIVE = new Set<string>(ACTIVE_JOB_STATES);

/** Whether `state` holds the cluster lock (`pending`, `running`, `paused`). */
export function isActiveJobState(state: string): boolean {
  return ACTIVE.has(state);
}

/**
 * The fencing rule: a write is allowed only under the job's current token.
 * @throws StaleFencingTokenError when `lease.token` is not `currentToken` (or was never issued)
 */
export function assertCurrentToken(currentToken: number, lease: Lease): void {
  if (lease.token < 1 || currentToken !== lease.token) throw new StaleFencingTokenError(lease.jobId, lease.token, currentToken);
}

/**
 * The lease rule: another holder's lease blocks an acquisition until it expires.
 * `current` is the job's lease row (`expiresMs`: ms since epoch), if any.
 * @throws LeaseHeldError while another holder's lease is unexpired at `nowMs`
 */
export function assertLeaseAvailable(
  jobId: string,
  current: { holder: string; expiresMs: number } | undefined,
  holder: string,
  nowMs: number,
): void {
  if (current !== undefined && current.holder !== holder && current.expiresMs > nowMs) {
    throw new LeaseHeldError(jobId, current.holder, new Date(current.expiresMs).toISOString());
  }
}

/**
 * Whether a commit moving a job from `from` to `to` must re-check the cluster
 * lock: it leaves a state that does not hold the lock for one that does, and
 * the job was not created with `allowConcurrent`.
 */
export function reacquiresClusterLock(from: string, to: JobState, allowConcurrent: boolean): boolean {
  return !allowConcurrent && !ACTIVE.has(from) && ACTIVE.has(to);
}

/** @throws InvalidInputError (`INVALID_OPTION`) unless `action` is `pause` or `cancel` */
export function assertControlAction(action: ControlRequest): void {
  if (action !== 'pause' && action !== 'cancel') {
    throw new InvalidInputError(`requestControl: action must be 'pause' or 'cancel', got ${String(action)}`, { code: 'INVALID_OPTION' });
  }
}

/** The error for a job id already present in the store named `where`. */
export function duplicateJobIdError(jobId: string, where: string): InvalidInputError {
  return new InvalidInputError(`a job with id ${jobId} already exists in ${where}; job ids must be unique`, { code: 'DUPLICATE_JOB_ID' });
}
