import type { ErrorDetail } from '../errors/error-detail.js';
import type { JobPlan } from '../plan/job-plan.js';

/**
 * Job states.
 * - Hold the cluster lock ({@link ACTIVE_JOB_STATES}): `pending`, `running`,
 *   `paused`, and `failed` (the job halted mid-operation, a node may be down:
 *   it keeps the lock until it is retried or cancelled).
 * - Final ({@link FINAL_JOB_STATES}): `succeeded`, `cancelled`. A store
 *   refuses every commit to a job in a final state (`JobFinishedError`).
 * - `failed` is the one ended state that can be left: to `running` (retry)
 *   or `cancelled`.
 */
export type JobState = 'pending' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** States that hold the cluster lock (`failed` too: a node may be down mid-operation). */
export const ACTIVE_JOB_STATES: readonly JobState[] = ['pending', 'running', 'paused', 'failed'];

/** States no job ever leaves; a store refuses any commit to such a job. */
export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'cancelled'];

/** Whether `state` is one of {@link FINAL_JOB_STATES}. */
export function isFinalJobState(state: JobState): boolean {
  return state === 'succeeded' || state === 'cancelled';
}

/** Step states. A step never recorded is `pending`. */
export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** Step states that are done for good: a resume never runs such a step again. */
export const COMPLETED_STEP_STATES: readonly StepState[] = ['succeeded', 'skipped'];

/** Whether `state` is one of {@link COMPLETED_STEP_STATES}. */
export function isCompletedStepState(state: StepState): boolean {
  return state === 'succeeded' || state === 'skipped';
}

/**
 * What a caller asked a running job to do (from another process too):
 * `pause` (no new step; in-flight steps finish; the job ends `paused`),
 * `cancel` (graceful: no new step, in-flight steps finish, then `cancelled`),
 * `cancel-now` (in-flight steps are aborted through their AbortSignal and
 * still settle; then `cancelled`). A runner sees a request within a second
 * and before it starts any new step; a request recorded while no runner is
 * alive is acted on by the next resume before its first step.
 */
export type ControlRequest = 'pause' | 'cancel' | 'cancel-now';

/** Every {@link ControlRequest}, for validation. */
export const CONTROL_REQUESTS: readonly ControlRequest[] = ['pause', 'cancel', 'cancel-now'];

/** Input of {@link JobStore.createJob}. */
export interface NewJob {
  /** Unique id chosen by the caller (the engine derives it from the clock and a seeded PRNG). */
  id: string;
  cluster: string;
  operator: string;
  workflowName: string;
  /** The workflow YAML exactly as given. */
  workflowText: string;
  plan: JobPlan;
  /** Creation time, ms since epoch (from the engine's clock). */
  at: number;
  /** Allow this job while another job is active on the cluster. @default false */
  allowConcurrent?: boolean;
}

/** A stored job. Timestamps are ms since epoch. */
export interface JobRecord {
  id: string;
  cluster: string;
  operator: string;
  workflowName: string;
  workflowText: string;
  plan: JobPlan;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  /** Why it failed, if it did. */
  error?: ErrorDetail;
  /** A pending pause or cancel request. */
  control?: ControlRequest;
  /** The fencing token of the most recent lease (0: never leased). */
  fencingToken: number;
}

/** A step's record. Absent from the store: never started (`pending`). */
export interface StepRecord {
  jobId: string;
  stepId: string;
  /** Node id for node steps. */
  nodeId?: string;
  state: StepState;
  /** Attempts started so far. */
  attempts: number;
  /** When the first attempt started (never moved by later attempts or runs). */
  startedAt?: number;
  finishedAt?: number;
  /**
   * The error of the last attempt that failed. The engine clears it when an
   * attempt starts, so a `running` record with a `lastError` is waiting for
   * its retry, and one without it had an attempt in flight.
   */
  lastError?: ErrorDetail;
  /** The task's JSON result, if any. */
  result?: unknown;
}

/**
 * A job's step records as a resume needs them: completed steps by id only, the
 * rest in full. A job interrupted late has nearly every record completed, and
 * only the few open ones carry anything a resume reads.
 */
export interface ResumeRecords {
  /** Ids of the steps recorded `succeeded` or `skipped` (order unspecified). */
  completedStepIds: readonly string[];
  /** Every other record (`running`, `failed`, `pending`), in full (order unspecified). */
  openRecords: readonly StepRecord[];
}

/** Splits full step records into {@link ResumeRecords} (for stores without `getResumeRecords`). */
export function toResumeRecords(steps: readonly StepRecord[]): ResumeRecords {
  const completedStepIds: string[] = [];
  const openRecords: StepRecord[] = [];
  for (const r of steps) {
    if (isCompletedStepState(r.state)) completedStepIds.push(r.stepId);
    else openRecords.push(r);
  }
  return { completedStepIds, openRecords };
}

/** A lease on a job: the right to write its records, proven by the fencing token. */
export interface Lease {
  jobId: string;
  /**
   * Who holds it. The engine writes `<hostname>:<pid>:<16 random hex digits>`
   * (see `leaseHolderName` / `parseLeaseHolder`), so `jobs` and `status` can
   * tell a runner whose process is gone.
   */
  holder: string;
  /** Increases by one at every acquisition; writes with an older token are rejected. */
  token: number;
  /** ms since epoch. */
  expiresAt: number;
}

/** One entry of a job's append-only event log. */
export interface StoredEvent {
  /** Sequence number, increasing per store. */
  seq: number;
  jobId: string;
  at: number;
  type: string;
  stepId?: string;
  data: Record<string, unknown>;
}

/** An upsert of one step record. */
export interface StepUpdate {
  stepId: string;
  nodeId?: string;
  state: StepState;
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
  /** `null` clears it. */
  lastError?: ErrorDetail | null;
  result?: unknown;
}

/**
 * One engine state transition, applied atomically (one transaction): step
 * upserts, an optional job state change, and events appended to the log.
 */
export interface Transition {
  /** ms since epoch. */
  at: number;
  job?: {
    state: JobState;
    /** `null` clears it. */
    error?: ErrorDetail | null;
    /** Clear a pending control request (the engine acted on it). */
    clearControl?: boolean;
  };
  steps?: StepUpdate[];
  events?: { type: string; stepId?: string; data: Record<string, unknown> }[];
  /**
   * Replaces the job's stored plan (the engine's inventory re-binding: same
   * nodes and steps, corrected connection settings). Stored as given.
   */
  plan?: JobPlan;
  /**
   * Refuse the whole commit (nothing written) with `ControlRequestedError`
   * when a control request (`pause`, `cancel`, `cancel-now`) is pending on
   * the job. The engine sets it on a step's start, so that no step starts
   * after a request was recorded, without a read of its own before every
   * step; honoured by stores with {@link JobStore.commitChecksControl}.
   * Checked after the fencing token and the final-state rule. @default false
   */
  unlessControlRequested?: boolean;
}

/** Options of {@link JobStore.acquireLease}. */
export interface AcquireLeaseOptions {
  /**
   * Take the lease over even though it has not expired, provided its current
   * holder is exactly this one (a runner proven dead: `resume --force`).
   * Another holder still gets `LeaseHeldError`.
   */
  takeOverFrom?: string;
}

/**
 * An event appended by {@link JobStore.appendEvent}: an audit record written
 * without a lease (for example who asked the server to pause a job).
 */
export interface AuditEvent {
  /** ms since epoch. */
  at: number;
  type: string;
  stepId?: string;
  data: Record<string, unknown>;
}

/** Jobs by state, every state present (0 when none), as {@link JobStore.countJobsByState} returns them. */
export type JobCountsByState = Record<JobState, number>;

/** Every job state, in lifecycle order (for counts and validation). */
export const JOB_STATES: readonly JobState[] = ['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled'];

/** Query of {@link JobStore.listJobs}. */
export interface JobQuery {
  cluster?: string;
  states?: JobState[];
  /** @default 50 */
  limit?: number;
}

/**
 * Durable storage of jobs, their plans, step records, leases and event log.
 *
 * Rules every implementation keeps (the contract suite checks them):
 * - `createJob` enforces the cluster lock in the same transaction: if another
 *   job on the cluster is active and `allowConcurrent` is not set, it throws
 *   `ClusterLockedError` naming that job and its operator.
 * - `acquireLease` increments the job's fencing token. It throws
 *   `LeaseHeldError` while another holder's lease is unexpired at `nowMs`.
 * - `commit`, `renewLease`, `releaseLease` throw `StaleFencingTokenError` when
 *   the lease's token is not the job's current token, and write nothing.
 *   `commit` that moves a job from an ended state back to an active one
 *   re-checks the cluster lock.
 * - Final states are final: `commit` on a `succeeded` or `cancelled` job
 *   throws `JobFinishedError` and writes nothing. A `failed` job holds the
 *   cluster lock and may move to `running` (retry) or `cancelled`.
 * - A step's `startedAt` is the first value ever written; later ones are ignored.
 * - `commit` is all or nothing.
 * - With `commitChecksControl`: a commit with `unlessControlRequested` while a
 *   control request is pending throws `ControlRequestedError` and writes nothing.
 * - Failure to write (vanished or read-only file) throws `StoreUnavailableError`.
 */
export interface JobStore {
  /**
   * The store honours `Transition.unlessControlRequested` (refuses such a
   * commit while a control request is pending). Without it the engine reads
   * the job (`getJob`) before every step to see requests. @default false
   */
  readonly commitChecksControl?: boolean;
  createJob(job: NewJob): Promise<JobRecord>;
  /** @throws JobNotFoundError */
  getJob(jobId: string): Promise<JobRecord>;
  /** Newest first. */
  listJobs(query?: JobQuery): Promise<JobRecord[]>;
  /** @throws LeaseHeldError while another holder's lease is unexpired (see `options.takeOverFrom`). */
  acquireLease(jobId: string, holder: string, ttlMs: number, nowMs: number, options?: AcquireLeaseOptions): Promise<Lease>;
  /**
   * The job's current lease (holder, token, expiry), or `undefined` when none
   * is held (never leased, or released). Expired leases are returned as they
   * are: compare `expiresAt` with the time. Required by the contract suite
   * since issue 12 (optional in the type for stores written before it).
   * @throws JobNotFoundError
   */
  getLease?(jobId: string): Promise<Lease | undefined>;
  renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease>;
  releaseLease(lease: Lease): Promise<void>;
  commit(lease: Lease, transition: Transition): Promise<void>;
  /** Every recorded step of the job (order unspecified). */
  getSteps(jobId: string): Promise<StepRecord[]>;
  /**
   * Optional: the same records as {@link getSteps}, completed ones by id only
   * (what a resume reads; cheaper for a big job). Without it, the engine splits
   * `getSteps`. @throws JobNotFoundError
   */
  getResumeRecords?(jobId: string): Promise<ResumeRecords>;
  /**
   * Optional: how many jobs are in each state (every state present, 0 when
   * none), optionally of one cluster: one aggregate query, whatever the number
   * of jobs (what a metrics scrape reads). Required by the contract suite since
   * issue 17 (optional in the type for stores written before it).
   */
  countJobsByState?(query?: { cluster?: string }): Promise<JobCountsByState>;
  /** Events in sequence order. */
  listEvents(jobId: string, query?: { afterSeq?: number; limit?: number }): Promise<StoredEvent[]>;
  /** Records a pause/cancel request; needs no lease. @throws JobNotFoundError */
  requestControl(jobId: string, action: ControlRequest, nowMs: number): Promise<void>;
  /**
   * Optional: appends one event to the job's log without a lease and without
   * touching the job's state (an audit record, such as the caller of a server
   * API call). Returns the stored event with its sequence number.
   * @throws JobNotFoundError
   */
  appendEvent?(jobId: string, event: AuditEvent): Promise<StoredEvent>;
  close(): Promise<void>;
}
