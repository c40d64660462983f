import type { Logger } from '../api/logger.js';
import type { Clock } from '../clock/clock.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { JobStore } from '../store/job-store.js';
import type { JobOutcome } from './engine-events.js';
import type { ServiceBinder } from './job-run.js';
import type { ClusterInventory } from '../inventory/inventory.js';

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /** Where jobs, step records, leases and events are recorded. */
  store: JobStore;
  /** The plugins whose tasks the plans name. */
  registry: PluginRegistry;
  /** The source of time for every wait, poll, timeout and heartbeat. @default new SystemClock() */
  clock?: Clock;
  /** Services for execution contexts. @default registry.services */
  services?: ServiceBinder;
  /**
   * Who runs the jobs, recorded with the lease. Must be unique per engine.
   * @default `${hostname}:${pid}:${16 hex digits from crypto.randomBytes}` (see `leaseHolderName`)
   */
  holder?: string;
  /** Lease time-to-live, seconds: another runner may take the job over this long after the last heartbeat. @default 30 */
  leaseTtlSeconds?: number;
  /** Seconds between lease renewals (and checks for pause/cancel requests in the store). @default 10 */
  heartbeatSeconds?: number;
  /**
   * Seed of the engine's PRNG (job ids, retry jitter). Give one for
   * reproducible runs. @default a random 32-bit value from `crypto.randomInt`
   * (two engines built in one millisecond never share one)
   */
  seed?: number;
  /** Receives the engine's own log lines and those of tasks (also emitted as `log` events). @default silentLogger */
  logger?: Logger;
  /** Retry jitter ratio in [0, 1] (see `computeRetryDelay`); 0 for exact delays. @default 0.2 */
  retryJitterRatio?: number;
  /**
   * Seconds to wait, after an attempt timed out or was aborted, for its
   * `execute` (or condition check) to settle before giving up on it with
   * `AttemptDidNotStopError` (the job halts failed and the node is left out of
   * this engine's work). A step's `abandonGraceSeconds` (YAML
   * `abandon_grace_seconds`) overrides it. @default 60
   */
  abandonGraceSeconds?: number;
  /**
   * Seconds between reads of pause/cancel requests recorded in the store by
   * other processes (they are also read right before every step starts).
   * @default 0.5
   */
  controlPollSeconds?: number;
}

/** Options of {@link Engine.start}. */
export interface StartOptions {
  /** Who starts the job (shown in the cluster lock error and notifications). */
  operator: string;
  /** The workflow YAML exactly as given (stored with the job). */
  workflowText: string;
  /** The job id. @default `job-YYYYMMDD-HHMMSS-xxxxxxxx` from the clock and the seeded PRNG */
  jobId?: string;
  /** Run even if another job is active on the cluster. @default false */
  allowConcurrent?: boolean;
}

/** Options of {@link Engine.resume}. */
export interface ResumeOptions {
  /**
   * Attempt failed steps again (the CLI's `retry`), which also allows resuming
   * a `failed` job. Without it, failed steps stay failed. @default false
   */
  retryFailed?: boolean;
  /**
   * Take over at once from a runner that is provably dead: its lease is
   * unexpired, but it ran on this host and its pid is gone (see
   * `describeRunner`). Otherwise the usual rule applies (`LeaseHeldError`,
   * whose message says how long until the lease expires). @default false
   */
  force?: boolean;
  /**
   * Re-bind the job's connection settings (ports, ssh, Prometheus...) from
   * this inventory before running: same node ids, addresses, dcs, racks,
   * zones and labels (else `InvalidInputError` code `INVENTORY_MISMATCH`).
   * Recorded as a `job.inventory-rebound` event. See `rebindPlanInventory`.
   */
  inventory?: ClusterInventory;
  /** Who asked (recorded with a re-binding). @default the job's operator */
  operator?: string;
}

/** Options of {@link Engine.cancel}. */
export interface CancelOptions {
  /**
   * Abort in-flight steps (`cancel --now`): they see their AbortSignal and
   * still settle before the job ends. Without it, in-flight steps finish.
   * @default false
   */
  now?: boolean;
  /** Why, for the log and the job's error. @default 'cancelled by the operator' */
  reason?: string;
}

/** What {@link Engine.cancel} did. */
export type CancelResult =
  /** The job was run by this engine; it ends `cancelled` once its in-flight steps settled. */
  | 'cancelling'
  /** Another runner holds the job: a control request was recorded, which it sees within a second. */
  | 'requested'
  /** No runner held it (paused, failed, or its runner died): it was moved to `cancelled` at once. */
  | 'cancelled';

/** A job being run by this engine. */
export interface JobHandle {
  readonly jobId: string;
  /** Resolves when this run ends; never rejects (see {@link JobOutcome}). */
  readonly done: Promise<JobOutcome>;
  /** No new steps start; in-flight steps finish; the job ends `paused` (resumable). */
  pause(): void;
  /**
   * Graceful cancel: no new step starts, in-flight steps finish, then the job
   * ends `cancelled` (final).
   */
  cancel(reason?: string): void;
  /**
   * Cancel now: in-flight tasks see their `AbortSignal` aborted (and still
   * settle, up to the abandon grace) and the job ends `cancelled` (final: it
   * cannot be resumed). Use `pause()` to stop resumably.
   */
  abort(reason?: string): void;
  /**
   * Stops now, resumably: no new steps start, in-flight tasks see their
   * `AbortSignal` aborted, their steps stay recorded `running` (as after a
   * crash, so `resume` attempts them again) and the job ends `paused`. This is
   * what the CLI's second Ctrl-C does.
   */
  interrupt(reason?: string): void;
}
