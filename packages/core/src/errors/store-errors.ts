import { ScyllaCpError, type ScyllaCpErrorOptions } from './scylla-cp-error.js';

/**
 * A write carried a fencing token older than the job's current one: another
 * runner took the job's lease over. The writer must stop at once.
 */
export class StaleFencingTokenError extends ScyllaCpError {
  static override readonly kind: string = 'StaleFencingTokenError';
  constructor(
    readonly jobId: string,
    readonly presentedToken: number,
    readonly currentToken: number,
    options: ScyllaCpErrorOptions = {},
  ) {
    super(
      `job ${jobId}: write rejected, fencing token ${presentedToken} is stale (current token is ${currentToken}); another runner has taken this job over`,
      { code: 'STALE_FENCING_TOKEN', ...options, details: { jobId, presentedToken, currentToken } },
    );
  }
}

/**
 * A commit marked `unlessControlRequested` (a step's start) was refused, writing
 * nothing, because a pause or cancel request is pending on the job: the runner
 * acts on `request` instead of starting the step.
 */
export class ControlRequestedError extends ScyllaCpError {
  static override readonly kind: string = 'ControlRequestedError';
  constructor(
    readonly jobId: string,
    readonly request: 'pause' | 'cancel' | 'cancel-now',
    options: ScyllaCpErrorOptions = {},
  ) {
    super(`job ${jobId}: a ${request} request is pending, so no new step starts (nothing was written)`, {
      code: 'CONTROL_REQUESTED',
      ...options,
      details: { jobId, request },
    });
  }
}

/** A job's lease is held by a live runner (its TTL has not expired). */
export class LeaseHeldError extends ScyllaCpError {
  static override readonly kind: string = 'LeaseHeldError';
  /** How long until the lease expires, ms, when the store said. */
  readonly remainingMs: number | undefined;
  constructor(
    readonly jobId: string,
    readonly holder: string,
    readonly expiresAt: string,
    options: ScyllaCpErrorOptions & { remainingMs?: number; hint?: string } = {},
  ) {
    const remaining = options.remainingMs !== undefined ? `, ${Math.ceil(options.remainingMs / 1000)} s from now` : '';
    const hint = options.hint ? `; ${options.hint}` : '';
    super(`job ${jobId} is being run by ${holder} (lease valid until ${expiresAt}${remaining}); wait for it to stop or for the lease to expire${hint}`, {
      code: 'LEASE_HELD',
      ...options,
      details: { jobId, holder, expiresAt, ...(options.remainingMs !== undefined ? { remainingMs: options.remainingMs } : {}) },
    });
    this.remainingMs = options.remainingMs;
  }
}

/** Another job is active on the cluster and concurrent jobs were not allowed. */
export class ClusterLockedError extends ScyllaCpError {
  static override readonly kind: string = 'ClusterLockedError';
  constructor(
    readonly cluster: string,
    readonly heldByJobId: string,
    readonly heldByOperator: string,
    readonly heldByState: string,
    options: ScyllaCpErrorOptions = {},
  ) {
    super(
      heldByState === 'failed'
        ? `cluster ${cluster} is locked by job ${heldByJobId} (operator ${heldByOperator}), which failed mid-operation and keeps the lock (a node may still be down): retry it, or cancel it once the cluster was checked; or allow concurrent jobs explicitly`
        : `cluster ${cluster} is locked by job ${heldByJobId} (operator ${heldByOperator}, state ${heldByState}); finish, cancel it, or allow concurrent jobs explicitly`,
      { code: 'CLUSTER_LOCKED', ...options, details: { cluster, heldByJobId, heldByOperator, heldByState } },
    );
  }
}

/**
 * A commit to a job in a final state (`succeeded` or `cancelled`): such a job
 * can never be revived or changed (e.g. a resume that raced a cancel).
 */
export class JobFinishedError extends ScyllaCpError {
  static override readonly kind: string = 'JobFinishedError';
  constructor(
    readonly jobId: string,
    readonly state: string,
    options: ScyllaCpErrorOptions = {},
  ) {
    super(`job ${jobId} is ${state}, which is final: nothing more is recorded for it (start a new job instead)`, {
      code: 'JOB_FINISHED',
      ...options,
      details: { jobId, state },
    });
  }
}

/** No job with this id exists in the store. */
export class JobNotFoundError extends ScyllaCpError {
  static override readonly kind: string = 'JobNotFoundError';
  constructor(readonly jobId: string, options: ScyllaCpErrorOptions = {}) {
    super(`no job with id ${jobId} in this store`, { code: 'JOB_NOT_FOUND', ...options, details: { jobId } });
  }
}

/**
 * The store cannot record a transition (file vanished, read-only, disk full).
 * The engine stops the job rather than continue unrecorded.
 */
export class StoreUnavailableError extends ScyllaCpError {
  static override readonly kind: string = 'StoreUnavailableError';
  constructor(message: string, options: ScyllaCpErrorOptions = {}) {
    super(message, { code: 'STORE_UNAVAILABLE', ...options });
  }
}
