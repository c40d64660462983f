import { LeaseHeldError, silentLogger, type Engine, type JobHandle, type JobOutcome, type JobRecord, type Logger } from '@scylla-cp/core';
import type { EngineMetrics } from './engine-metrics.js';
import { HANDOVER_EVENT } from './job-event-stream.js';
import { asTakeover, TakeoverDeclinedError } from './takeover-guard.js';

/** Options of a {@link JobRunner}. */
export interface JobRunnerOptions {
  /** The engine that runs this replica's jobs (its store is the shared database). */
  engine: Engine;
  /** Milliseconds between scans for jobs that no live runner holds. @default 500 */
  scanIntervalMs?: number;
  /** Most jobs this replica runs at once. @default 32 */
  maxConcurrentJobs?: number;
  /** Counts lease takeovers. */
  metrics?: EngineMetrics;
  /** @default silentLogger */
  logger?: Logger;
}

/** Options of {@link JobRunner.run}. */
export interface RunOptions {
  /** Attempt failed steps again (a `retry`). @default false */
  retryFailed?: boolean;
}

/**
 * One replica's share of the work. Every `scanIntervalMs` it lists the jobs
 * that are `pending` or `running` and tries to take the lease of each one it
 * does not run yet: a job whose runner is alive refuses (`LeaseHeldError`), a
 * new job or one whose runner died (lease expired) is resumed here from its
 * stored plan and step records, under a new fencing token, so a runner that
 * was only presumed dead can no longer write. A pause or cancel request found
 * on a job that no runner holds is settled at once (the job becomes `paused`
 * or `cancelled`) rather than resumed.
 *
 * On {@link stop}, the jobs running here are paused at a step boundary and
 * handed back as `pending`, so another replica continues them without waiting
 * for a lease to expire.
 */
export class JobRunner {
  /** The engine that runs this replica's jobs. */
  readonly engine: Engine;
  readonly #scanMs: number;
  readonly #max: number;
  readonly #metrics: EngineMetrics | undefined;
  readonly #logger: Logger;
  readonly #local = new Map<string, JobHandle>();
  readonly #starting = new Set<string>();
  readonly #userPaused = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #rescan = false;
  #stopped = true;

  constructor(options: JobRunnerOptions) {
    this.engine = options.engine;
    this.#scanMs = options.scanIntervalMs ?? 500;
    this.#max = options.maxConcurrentJobs ?? 32;
    this.#metrics = options.metrics;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Starts scanning (the first scan runs at once). */
  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** Scans as soon as possible (after a submit, a pause request, ...); nothing before {@link start}. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#scanning) {
      this.#rescan = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scanning = this.scanOnce()
      .catch((e) => this.#logger.warn(`job scan failed: ${(e as Error)?.message ?? String(e)}`))
      .finally(() => {
        this.#scanning = undefined;
        if (this.#stopped) return;
        if (this.#rescan) {
          this.#rescan = false;
          this.kick();
        } else {
          this.#timer = setTimeout(() => this.kick(), this.#scanMs);
          this.#timer.unref?.();
        }
      });
  }

  /** The handle of a job this replica runs now. */
  local(jobId: string): JobHandle | undefined {
    return this.#local.get(jobId);
  }

  /** Ids of the jobs this replica runs now. */
  running(): string[] {
    return [...this.#local.keys()];
  }

  /** One scan: takes every job that no live runner holds (see the class). */
  async scanOnce(): Promise<void> {
    const store = this.engine.store;
    const jobs = await store.listJobs({ states: ['pending', 'running'], limit: 10_000 });
    // Oldest first: listJobs returns newest first.
    for (const job of jobs.reverse()) {
      if (this.#stopped) return;
      if (this.#local.has(job.id) || this.#starting.has(job.id)) continue;
      if (this.#local.size + this.#starting.size >= this.#max) return;
      try {
        // A live lease of another runner: skip it with a read instead of a refused write.
        const lease = await store.getLease?.(job.id);
        if (lease && lease.holder !== this.engine.holder && lease.expiresAt > this.engine.clock.now()) continue;
        if (job.control !== undefined) await this.#settleControl(job);
        else await this.takeOver(job.id, job.state === 'running');
      } catch (e) {
        if (e instanceof LeaseHeldError || e instanceof TakeoverDeclinedError) continue;
        this.#logger.warn(`could not take job ${job.id}: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  }

  /**
   * What a scan does with a job it listed as `pending` or `running`: runs it
   * here, provided that, read under the lease just taken, it still is (a job
   * paused, cancelled or finished since the listing is left alone:
   * `TakeoverDeclinedError`). Needs the engine's store wrapped by
   * `guardTakeovers` (as `createServer` does).
   * @param wasRunning the listing said `running` (so this is a takeover from a dead runner)
   */
  takeOver(jobId: string, wasRunning: boolean): Promise<JobHandle> {
    return asTakeover(['pending', 'running'], () => this.run(jobId, {}, wasRunning));
  }

  /**
   * Resumes (or starts) a stored job here: takes its lease (throws
   * `LeaseHeldError` while another runner's lease is live) and runs it.
   * @param takeover whether the job was `running` elsewhere (counted in `scylla_cp_lease_takeovers_total`)
   */
  async run(jobId: string, options: RunOptions = {}, takeover = false): Promise<JobHandle> {
    const existing = this.#local.get(jobId);
    if (existing) return existing;
    this.#starting.add(jobId);
    let handle: JobHandle;
    try {
      handle = await this.engine.resume(jobId, { retryFailed: options.retryFailed === true });
    } finally {
      this.#starting.delete(jobId);
    }
    if (takeover) {
      this.#metrics?.leaseTakeover();
      this.#logger.info(`took over job ${jobId} (its previous runner's lease expired)`);
    }
    this.#local.set(jobId, handle);
    void handle.done.then((outcome) => this.#ended(outcome));
    return handle;
  }

  #ended(outcome: JobOutcome): void {
    this.#local.delete(outcome.jobId);
    if (!this.#stopped) this.#userPaused.delete(outcome.jobId);
    if (this.#stopped) return;
    // A run that lost its lease or its store ends `interrupted`: scan again so
    // that it is taken back (here or elsewhere) once the lease allows.
    this.kick();
  }

  /** A pause or cancel request on a job that no runner holds: apply it without running anything. */
  async #settleControl(listed: JobRecord): Promise<void> {
    const store = this.engine.store;
    const clock = this.engine.clock;
    const lease = await store.acquireLease(listed.id, this.engine.holder, 30_000, clock.now());
    try {
      // Under the lease the job cannot change state: decide on what it is now, not on the listing.
      const job = await store.getJob(listed.id);
      if ((job.state !== 'pending' && job.state !== 'running') || job.control === undefined) return;
      const state = job.control === 'pause' ? 'paused' : 'cancelled';
      await store.commit(lease, {
        at: clock.now(),
        job: { state, clearControl: true },
        events: [{ type: `job.${state}`, data: { reason: `${job.control} requested while no runner held the job`, by: this.engine.holder, previousState: job.state } }],
      });
    } finally {
      await store.releaseLease(lease).catch(() => {});
    }
  }

  /**
   * Stops scanning; pauses the jobs running here at a step boundary (in-flight
   * steps finish) and hands them back as `pending` for another replica.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#scanning;
    const handles = [...this.#local.values()];
    const store0 = this.engine.store;
    for (const h of handles) {
      // Marked first, so that event streams do not take the pause below for the job's end.
      if (!this.#userPaused.has(h.jobId)) {
        await store0.appendEvent?.(h.jobId, { at: this.engine.clock.now(), type: HANDOVER_EVENT, data: { by: this.engine.holder } }).catch(() => undefined);
      }
      h.pause();
    }
    const outcomes = await Promise.all(handles.map((h) => h.done));
    const store = this.engine.store;
    for (const o of outcomes) {
      if (o.state !== 'paused' || this.#userPaused.has(o.jobId)) continue;
      try {
        const lease = await store.acquireLease(o.jobId, this.engine.holder, 30_000, this.engine.clock.now());
        try {
          const job = await store.getJob(o.jobId);
          if (job.state === 'paused') {
            await store.commit(lease, {
              at: this.engine.clock.now(),
              job: { state: 'pending' },
              events: [{ type: 'job.handed-over', data: { by: this.engine.holder, reason: 'server replica shut down' } }],
            });
          }
        } finally {
          await store.releaseLease(lease).catch(() => {});
        }
      } catch (e) {
        this.#logger.warn(`could not hand job ${o.jobId} over: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    this.#userPaused.clear();
  }

  /**
   * Pauses a job that runs here at once (in-flight steps finish); a pause that
   * a person asked for, so {@link stop} does not hand the job over.
   * Returns whether the job runs here.
   */
  pauseLocal(jobId: string): boolean {
    const h = this.#local.get(jobId);
    if (!h) return false;
    this.#userPaused.add(jobId);
    h.pause();
    return true;
  }
}
