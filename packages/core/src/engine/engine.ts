import { randomInt } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { silentLogger, type Logger } from '../api/logger.js';
import type { Clock } from '../clock/clock.js';
import { SystemClock } from '../clock/system-clock.js';
import { InvalidInputError } from '../errors/input-errors.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { JobStore } from '../store/job-store.js';
import { Prng } from '../util/prng.js';
import type { EngineEvents } from './engine-events.js';
import { InFlightRegistry } from './in-flight-registry.js';
import { rebindPlanInventory } from './rebind-inventory.js';
import { describeRunner, leaseHolderName, type RunnerProbe, type RunnerStatus } from './runner-status.js';
import { LeaseHeldError } from '../errors/store-errors.js';
import type { Lease } from '../store/job-store.js';
import { JobRun, type ServiceBinder } from './job-run.js';
import { DEFAULT_ABANDON_GRACE_SECONDS } from '../plan/job-plan.js';

export type { ServiceBinder } from './job-run.js';
export type * from './engine-options.js';
import type { CancelOptions, CancelResult, EngineOptions, JobHandle, ResumeOptions, StartOptions } from './engine-options.js';
import { loadResumeState } from './resume-state.js';
import { recordApproval } from './human-gates.js';
import { isFinalJobState } from '../store/job-store.js';
import { DEFAULT_RETRY_JITTER_RATIO } from './retry-policy.js';

function hex8(prng: Prng): string {
  return prng.nextUint32().toString(16).padStart(8, '0');
}

/**
 * Runs job plans against a {@link JobStore}: cluster steps in order; a node
 * workflow's batches one at a time, each with at most `concurrencyLimit` nodes
 * running and a freed slot refilled at once; per step, preconditions then
 * execute, with retries of recoverable errors by the step's policy. Every
 * transition is committed to the store (under the lease's fencing token)
 * before the engine moves on. Progress is reported as typed events
 * ({@link EngineEvents}); the CLI's progress view and the notifiers are
 * listeners.
 *
 * ```ts
 * const engine = new Engine({ store, registry });
 * engine.on('step', (e) => console.log(e.stepId, e.state));
 * const job = await engine.start(plan, { operator: 'alice', workflowText });
 * const outcome = await job.done; // { state: 'succeeded' | 'failed' | ... }
 * ```
 */
export class Engine extends EventEmitter<EngineEvents> {
  /** Where this engine records jobs. */
  readonly store: JobStore;
  /** The plugins whose tasks it runs. */
  readonly registry: PluginRegistry;
  /** Its source of time. */
  readonly clock: Clock;
  /** The lease holder name this engine uses. */
  readonly holder: string;
  readonly #services: ServiceBinder;
  readonly #prng: Prng;
  readonly #logger: Logger;
  readonly #leaseTtlMs: number;
  readonly #heartbeatMs: number;
  readonly #jitterRatio: number;
  readonly #abandonGraceSeconds: number;
  readonly #controlPollMs: number;
  /** Which node has an attempt in flight, for every run of this engine. */
  readonly inFlight = new InFlightRegistry();
  readonly #runs = new Map<string, JobRun>();
  readonly #closeHooks = new Set<() => Promise<void> | void>();

  constructor(options: EngineOptions) {
    super();
    this.store = options.store;
    this.registry = options.registry;
    this.clock = options.clock ?? new SystemClock();
    this.#services = options.services ?? options.registry.services;
    this.#prng = new Prng(options.seed ?? randomInt(0, 2 ** 32 - 1));
    this.#logger = options.logger ?? silentLogger;
    const ttl = options.leaseTtlSeconds ?? 30;
    const hb = options.heartbeatSeconds ?? 10;
    if (!(ttl > 0) || !(hb > 0) || hb >= ttl) {
      throw new InvalidInputError(`engine: need 0 < heartbeatSeconds (${hb}) < leaseTtlSeconds (${ttl})`, { code: 'BAD_ENGINE_OPTIONS' });
    }
    this.#leaseTtlMs = ttl * 1000;
    this.#heartbeatMs = hb * 1000;
    this.#jitterRatio = options.retryJitterRatio ?? DEFAULT_RETRY_JITTER_RATIO;
    const grace = options.abandonGraceSeconds ?? DEFAULT_ABANDON_GRACE_SECONDS;
    const poll = options.controlPollSeconds ?? 0.5;
    if (!(grace >= 0) || !Number.isFinite(grace) || !(poll > 0) || !Number.isFinite(poll)) {
      throw new InvalidInputError(`engine: need abandonGraceSeconds (${grace}) >= 0 and controlPollSeconds (${poll}) > 0`, { code: 'BAD_ENGINE_OPTIONS' });
    }
    this.#abandonGraceSeconds = grace;
    this.#controlPollMs = poll * 1000;
    this.holder = options.holder ?? leaseHolderName();
  }

  /** A new job id: `job-YYYYMMDD-HHMMSS-xxxxxxxx` (UTC time from the clock, suffix from the seeded PRNG). */
  newJobId(): string {
    const iso = new Date(this.clock.now()).toISOString(); // 2026-01-01T00:00:00.000Z
    const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
    return `job-${stamp}-${hex8(this.#prng)}`;
  }

  #deps() {
    return {
      emitter: this as EventEmitter<EngineEvents>,
      store: this.store,
      registry: this.registry,
      services: this.#services,
      clock: this.clock,
      prng: this.#prng.fork(),
      logger: this.#logger,
      leaseTtlMs: this.#leaseTtlMs,
      heartbeatMs: this.#heartbeatMs,
      jitterRatio: this.#jitterRatio,
      abandonGraceSeconds: this.#abandonGraceSeconds,
      controlPollMs: this.#controlPollMs,
      inFlight: this.inFlight,
    };
  }

  async #track(run: JobRun, rebind?: Parameters<JobRun['open']>[0]): Promise<JobHandle> {
    await run.open(rebind);
    this.#runs.set(run.jobId, run);
    void run.launch().then(() => this.#runs.delete(run.jobId));
    return {
      jobId: run.jobId,
      done: run.done,
      pause: () => run.pause(),
      cancel: (reason?: string) => run.cancel(reason),
      abort: (reason?: string) => run.abort(reason),
      interrupt: (reason?: string) => run.interrupt(reason),
    };
  }

  /**
   * Creates the job in the store (cluster lock checked there), takes its
   * lease and starts running it.
   * @throws ClusterLockedError when another job is active on the cluster.
   */
  async start(plan: JobPlan, options: StartOptions): Promise<JobHandle> {
    const jobId = options.jobId ?? this.newJobId();
    const now = this.clock.now();
    const job = await this.store.createJob({
      id: jobId,
      cluster: plan.cluster,
      operator: options.operator,
      workflowName: plan.workflowName,
      workflowText: options.workflowText,
      plan,
      at: now,
      allowConcurrent: options.allowConcurrent === true,
    });
    const lease = await this.store.acquireLease(jobId, this.holder, this.#leaseTtlMs, this.clock.now());
    return this.#track(new JobRun(this.#deps(), { job, lease, resumed: false }));
  }

  /**
   * Continues a stored job from its stored plan and step records: succeeded
   * steps are skipped, steps that were running are attempted again, and with
   * `retryFailed` failed steps too. A `paused` or interrupted (`running`,
   * lease expired) job resumes as is; a `failed` job needs `retryFailed`.
   *
   * @throws JobNotFoundError, LeaseHeldError (another runner is live),
   *   InvalidInputError (the job succeeded or was cancelled, or failed without `retryFailed`),
   *   ClusterLockedError (a failed job retried while another job holds the cluster).
   */
  async resume(jobId: string, options: ResumeOptions = {}): Promise<JobHandle> {
    const job = await this.store.getJob(jobId);
    if (job.state === 'succeeded' || job.state === 'cancelled') {
      throw new InvalidInputError(`job ${jobId} is ${job.state}; there is nothing to resume (start a new job instead)`, {
        code: 'JOB_FINISHED',
        details: { jobId, state: job.state },
      });
    }
    if (job.state === 'failed' && !options.retryFailed) {
      throw new InvalidInputError(`job ${jobId} failed; retry it to attempt the failed steps again (retryFailed / \`scylla-cp retry\`)`, {
        code: 'JOB_FAILED',
        details: { jobId },
      });
    }
    if (this.#runs.has(jobId)) {
      throw new InvalidInputError(`job ${jobId} is already running in this engine`, { code: 'JOB_RUNNING', details: { jobId } });
    }
    // Check the new inventory before taking anything.
    if (options.inventory) rebindPlanInventory(job.plan, options.inventory);
    const lease = await this.#acquireForResume(jobId, options.force === true);
    let fresh = await this.store.getJob(jobId);
    let rebind: Parameters<JobRun['open']>[0];
    if (options.inventory) {
      try {
        const r = rebindPlanInventory(fresh.plan, options.inventory);
        fresh = { ...fresh, plan: r.plan };
        rebind = { plan: r.plan, changedNodes: r.changedNodes, inventoryConnectionChanged: r.inventoryConnectionChanged, by: options.operator ?? fresh.operator };
      } catch (e) {
        await this.store.releaseLease(lease).catch(() => {});
        throw e;
      }
    }
    const rs = await loadResumeState(this.store, jobId, fresh.plan, { retryFailed: options.retryFailed === true });
    const freshFinally = options.retryFailed === true && fresh.state === 'failed';
    return this.#track(new JobRun(this.#deps(), { job: fresh, lease, resume: rs, resumed: true, freshFinally }), rebind);
  }

  async #acquireForResume(jobId: string, force: boolean): Promise<Lease> {
    const now = this.clock.now();
    const status = this.store.getLease ? describeRunner(await this.store.getLease(jobId), now) : undefined;
    if (force && status?.state === 'dead') {
      this.#logger.warn(`job ${jobId}: taking over from a dead runner: ${status.reason}`, { jobId });
      return this.store.acquireLease(jobId, this.holder, this.#leaseTtlMs, now, { takeOverFrom: status.holder! });
    }
    try {
      return await this.store.acquireLease(jobId, this.holder, this.#leaseTtlMs, now);
    } catch (e) {
      if (!(e instanceof LeaseHeldError) || status === undefined || status.state === 'none') throw e;
      // Say how long to wait, and whether force would help.
      const hint =
        status.state === 'dead'
          ? `${status.reason}: resume with force (--force) to take over now`
          : force
            ? `not taken over: ${status.reason}`
            : status.reason;
      throw new LeaseHeldError(e.jobId, e.holder, e.expiresAt, { remainingMs: e.remainingMs ?? status.remainingMs, hint, details: { runner: { ...status } } });
    }
  }

  /**
   * What is known of job `jobId`'s runner (live, lease expired, or provably
   * dead on this host), for `jobs` and `status`. `state: 'none'` when the
   * store cannot tell (no `getLease`) or no lease is held.
   */
  async runnerStatus(jobId: string, probe?: RunnerProbe): Promise<RunnerStatus> {
    if (!this.store.getLease) return { state: 'none', reason: 'this store does not report leases' };
    return describeRunner(await this.store.getLease(jobId), this.clock.now(), probe);
  }

  /**
   * Cancels job `jobId`, gracefully (in-flight steps finish) or, with `now`,
   * aborting in-flight steps (they still settle). A job this engine runs is
   * cancelled in place; one another live runner holds gets a control request
   * (`cancel` / `cancel-now`) that it sees within a second; one nobody runs
   * (paused, failed, or its runner is gone) is moved to `cancelled` at once,
   * which releases the cluster lock.
   * @throws JobNotFoundError; InvalidInputError (code `JOB_FINISHED`) when it already succeeded or was cancelled.
   */
  async cancel(jobId: string, options: CancelOptions = {}): Promise<CancelResult> {
    const reason = options.reason ?? 'cancelled by the operator';
    const run = this.#runs.get(jobId);
    if (run) {
      if (options.now) run.abort(reason);
      else run.cancel(reason);
      return 'cancelling';
    }
    const job = await this.store.getJob(jobId);
    if (job.state === 'succeeded' || job.state === 'cancelled') {
      throw new InvalidInputError(`job ${jobId} already ended (${job.state})`, { code: 'JOB_FINISHED', details: { jobId, state: job.state } });
    }
    let lease: Lease;
    try {
      lease = await this.store.acquireLease(jobId, this.holder, this.#leaseTtlMs, this.clock.now());
    } catch (e) {
      if (!(e instanceof LeaseHeldError)) throw e;
      await this.store.requestControl(jobId, options.now ? 'cancel-now' : 'cancel', this.clock.now());
      return 'requested';
    }
    if ((job.plan.finallySteps?.length ?? 0) > 0) {
      // The job's clean-up runs before it ends cancelled: run it here, cancelled from the start.
      let handle: JobHandle;
      try {
        const fresh = await this.store.getJob(jobId);
        const rs = await loadResumeState(this.store, jobId, fresh.plan);
        const run = new JobRun(this.#deps(), { job: fresh, lease, resume: rs, resumed: true });
        if (options.now) run.abort(reason);
        else run.cancel(reason);
        handle = await this.#track(run);
      } catch (e) {
        await this.store.releaseLease(lease).catch(() => {});
        throw e;
      }
      const outcome = await handle.done;
      return outcome.state === 'cancelled' ? 'cancelled' : 'cancelling';
    }
    try {
      await this.store.commit(lease, {
        at: this.clock.now(),
        job: { state: 'cancelled', clearControl: true, error: { name: 'UnrecoverableError', code: 'JOB_ABORTED', message: `job cancelled: ${reason}`, classification: 'unrecoverable' } },
        events: [{ type: 'job.cancelled', data: { reason, previousState: job.state, by: this.holder } }],
      });
    } finally {
      await this.store.releaseLease(lease).catch(() => {});
    }
    return 'cancelled';
  }

  /**
   * Records that `options.approver` approved an approval step of job `jobId`
   * (an `!approval` step, or the canary `canary` of `stopAfterNodes`): by
   * default the one the paused job waits for, or `options.stepId`, which may
   * also approve a later one ahead of time. The job must not be running (its
   * lease is taken for the write); it stays paused: `resume` goes on. Recorded
   * as the step `succeeded` with `{ approvedBy, approvedAt }` and a
   * `job.approved` event `{ by, stepId }`. Returns the approved step id.
   * @throws JobNotFoundError, LeaseHeldError (a runner holds it),
   *   InvalidInputError (`JOB_FINISHED`, `NOTHING_TO_APPROVE`, `NOT_AN_APPROVAL`).
   */
  async approve(jobId: string, options: { approver: string; stepId?: string }): Promise<string> {
    const job = await this.store.getJob(jobId);
    if (isFinalJobState(job.state)) {
      throw new InvalidInputError(`job ${jobId} already ended (${job.state}); there is nothing to approve`, { code: 'JOB_FINISHED', details: { jobId, state: job.state } });
    }
    if (this.#runs.has(jobId)) {
      throw new InvalidInputError(`job ${jobId} is running in this engine; approve it once it paused for the approval`, { code: 'JOB_RUNNING', details: { jobId } });
    }
    const lease = await this.#acquireForResume(jobId, false);
    try {
      return await recordApproval(this.store, lease, jobId, { approver: options.approver, at: this.clock.now(), ...(options.stepId !== undefined ? { stepId: options.stepId } : {}) });
    } finally {
      await this.store.releaseLease(lease).catch(() => {});
    }
  }

  /**
   * Shuts the engine down: jobs still running are paused and waited for, the
   * `onClose` hooks run (e.g. a notifier's pending deliveries are flushed), then
   * the services' cached resources are released (`ServiceProvider.dispose`).
   */
  async close(): Promise<void> {
    const runs = [...this.#runs.values()];
    for (const r of runs) r.pause();
    await Promise.all(runs.map((r) => r.done));
    for (const hook of [...this.#closeHooks]) {
      try {
        await hook();
      } catch (e) {
        this.#logger.warn(`an engine close hook failed: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    await this.#services.dispose?.();
  }

  /**
   * Registers work that `close()` awaits after the jobs ended and before the
   * services are disposed (a notifier's pending deliveries). Returns a function
   * that unregisters it.
   */
  onClose(hook: () => Promise<void> | void): () => void {
    this.#closeHooks.add(hook);
    return () => {
      this.#closeHooks.delete(hook);
    };
  }

  /** Ids of the jobs this engine is running now. */
  running(): string[] {
    return [...this.#runs.keys()];
  }
}
