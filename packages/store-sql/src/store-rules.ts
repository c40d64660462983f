import {
  ACTIVE_JOB_STATES,
  ControlRequestedError,
  COMPLETED_STEP_STATES,
  CONTROL_REQUESTS,
  InvalidInputError,
  JobFinishedError,
  LeaseHeldError,
  StaleFencingTokenError,
  isFinalJobState,
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
/** Every control request (`pause`, `cancel`, `cancel-now`), as a SQL list (for a `CHECK` constraint). */
export const CONTROL_REQUESTS_SQL_LIST: string = sqlList(CONTROL_REQUESTS);
/** Job states that hold the cluster lock (`failed` included), as a SQL list. */
export const ACTIVE_SQL_LIST: string = sqlList(ACTIVE_JOB_STATES);
/** Step states a resume never runs again, as a SQL list. */
export const COMPLETED_SQL_LIST: string = sqlList(COMPLETED_STEP_STATES);

const ACTIVE = new Set<string>(ACTIVE_JOB_STATES);
/** States a runner works in (a `failed` job holds the lock too, but nothing runs). */
const RUNNABLE = new Set<string>(['pending', 'running', 'paused']);

/** Whether `state` holds the cluster lock (`pending`, `running`, `paused`, `failed`). */
export function isActiveJobState(state: string): boolean {
  return ACTIVE.has(state);
}

/**
 * The final-state rule: nothing is ever recorded for a `succeeded` or
 * `cancelled` job (a resume racing a cancel must not revive it).
 * @throws JobFinishedError when `state` is final
 */
export function assertNotFinal(jobId: string, state: string): void {
  if (isFinalJobState(state as JobState)) throw new JobFinishedError(jobId, state);
}

/**
 * The fencing rule: a write is allowed only under the job's current token.
 * @throws StaleFencingTokenError when `lease.token` is not `currentToken` (or was never issued)
 */
export function assertCurrentToken(currentToken: number, lease: Lease): void {
  if (lease.token < 1 || currentToken !== lease.token) throw new StaleFencingTokenError(lease.jobId, lease.token, currentToken);
}

/**
 * The control rule of a step's start: a commit with `unlessControlRequested`
 * is refused while a control request is pending (`control`: the job's column).
 * @throws ControlRequestedError naming the request
 */
export function assertNoControlRequest(jobId: string, control: string | null | undefined, unlessControlRequested: boolean | undefined): void {
  if (unlessControlRequested === true && control !== null && control !== undefined) throw new ControlRequestedError(jobId, control as ControlRequest);
}

/**
 * The lease rule: another holder's lease blocks an acquisition until it
 * expires, unless the caller takes it over from exactly that holder
 * (`takeOverFrom`: a runner proven dead). `current` is the job's lease row
 * (`expiresMs`: ms since epoch), if any.
 * @throws LeaseHeldError (with `remainingMs`) while another holder's lease is unexpired at `nowMs`
 */
export function assertLeaseAvailable(
  jobId: string,
  current: { holder: string; expiresMs: number } | undefined,
  holder: string,
  nowMs: number,
  takeOverFrom?: string,
): void {
  if (current !== undefined && current.holder !== holder && current.expiresMs > nowMs && current.holder !== takeOverFrom) {
    throw new LeaseHeldError(jobId, current.holder, new Date(current.expiresMs).toISOString(), { remainingMs: current.expiresMs - nowMs });
  }
}

/**
 * Whether a commit moving a job from `from` to `to` must re-check the cluster
 * lock: it leaves an ended state (`failed`: a retry) for one a runner works in
 * (`pending`, `running`, `paused`), and the job was not created with
 * `allowConcurrent`. Another job started meanwhile (with `allowConcurrent`)
 * then refuses it.
 */
export function reacquiresClusterLock(from: string, to: JobState, allowConcurrent: boolean): boolean {
  return !allowConcurrent && !RUNNABLE.has(from) && RUNNABLE.has(to);
}

/** @throws InvalidInputError (`INVALID_OPTION`) unless `action` is one of `CONTROL_REQUESTS` */
export function assertControlAction(action: ControlRequest): void {
  if (!CONTROL_REQUESTS.includes(action)) {
    throw new InvalidInputError(`requestControl: action must be one of ${CONTROL_REQUESTS.join(', ')}, got ${String(action)}`, {
      code: 'INVALID_OPTION',
    });
  }
}

/** The error for a job id already present in the store named `where`. */
export function duplicateJobIdError(jobId: string, where: string): InvalidInputError {
  return new InvalidInputError(`a job with id ${jobId} already exists in ${where}; job ids must be unique`, { code: 'DUPLICATE_JOB_ID' });
}
