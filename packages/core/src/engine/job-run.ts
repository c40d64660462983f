import { setMaxListeners } from 'node:events';
import type { EventEmitter } from 'eventemitter3';
import type { ClusterExecutionContext, JobInfo, NodeExecutionContext } from '../api/context.js';
import type { LogFields, Logger } from '../api/logger.js';
import type { ServiceScope, Services } from '../api/services.js';
import type { ExecuteClusterTask, ExecuteNodeTask } from '../api/task.js';
import { abortReason, type Clock } from '../clock/clock.js';
import { classifyError } from '../errors/classify-error.js';
import { toErrorDetail, type ErrorDetail } from '../errors/error-detail.js';
import { RecoverableError, UnrecoverableError } from '../errors/task-errors.js';
import type { InventoryNode } from '../inventory/inventory.js';
import { nodeStepId, type JobPlan, type NodeWorkflowStep, type TaskSpec } from '../plan/job-plan.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { JobRecord, JobState, JobStore, Lease, StepUpdate, Transition } from '../store/job-store.js';
import type { Prng } from '../util/prng.js';
import type { AttemptEvent, ConditionPollEvent, EngineEvents, FailedStep, JobEvent, JobOutcome, JobOutcomeState, LogEvent, LogLevel, RetryEvent, StepEvent } from './engine-events.js';
import type { ResumeState } from './resume-state.js';
import { computeRetryDelay } from './retry-policy.js';
import { CONDITION_POLL_REPORTER, waitForCondition, type ConditionPollInfo } from './wait-for-condition.js';

/** Binds services for one execution scope (a `ServiceRegistry` satisfies it). */
export interface ServiceBinder {
  bind(scope: Omit<ServiceScope, 'services'>): Services;
  /** Releases cached services; called by `Engine.close()`. */
  dispose?(): Promise<void> | void;
}

/** Everything a run needs from its engine. @internal */
export interface JobRunDeps {
  emitter: EventEmitter<EngineEvents>;
  store: JobStore;
  registry: PluginRegistry;
  services: ServiceBinder;
  clock: Clock;
  prng: Prng;
  logger: Logger;
  leaseTtlMs: number;
  heartbeatMs: number;
  jitterRatio: number;
}

/** How a run begins. @internal */
export interface JobRunStart {
  job: JobRecord;
  lease: Lease;
  /** What earlier runs did; absent for a new job. */
  resume?: ResumeState;
  resumed: boolean;
}

type Task = ExecuteNodeTask | ExecuteClusterTask;

class StepLogger implements Logger {
  constructor(
    private readonly run: JobRun,
    private readonly stepId: string,
    private readonly nodeId: string | undefined,
  ) {}
  debug(message: string, fields?: LogFields): void {
    this.run.log('debug', message, fields, this.stepId, this.nodeId);
  }
  info(message: string, fields?: LogFields): void {
    this.run.log('info', message, fields, this.stepId, this.nodeId);
  }
  warn(message: string, fields?: LogFields): void {
    this.run.log('warn', message, fields, this.stepId, this.nodeId);
  }
  error(message: string, fields?: LogFields): void {
    this.run.log('error', message, fields, this.stepId, this.nodeId);
  }
}

/**
 * One run of a job by one engine: from lease acquisition to the final state.
 * @internal use `Engine.start` / `Engine.resume`.
 */
export class JobRun {
  readonly jobId: string;
  done!: Promise<JobOutcome>;
  readonly #start: JobRunStart;

  readonly #d: JobRunDeps;
  readonly #job: JobRecord;
  readonly #plan: JobPlan;
  readonly #resume: ResumeState | undefined;
  readonly #nodes = new Map<string, InventoryNode>();
  readonly #jobInfo: JobInfo;
  readonly #abort = new AbortController();
  readonly #heartbeatStop = new AbortController();
  readonly #failedSteps: FailedStep[] = [];
  readonly #failedNodes: string[] = [];
  readonly #failedNodeSet = new Set<string>();
  #lease: Lease;
  #halted = false;
  #pauseRequested = false;
  #abortRequested = false;
  #interruptRequested = false;
  #abortMessage = '';
  #storeError: unknown;
  #incomplete = false;
  #succeeded = 0;

  constructor(deps: JobRunDeps, start: JobRunStart) {
    this.#d = deps;
    this.#job = start.job;
    this.#plan = start.job.plan;
    this.#resume = start.resume;
    this.#lease = start.lease;
    this.jobId = start.job.id;
    for (const n of this.#plan.inventory.nodes) this.#nodes.set(n.id, n);
    this.#jobInfo = Object.freeze({
      id: this.jobId,
      operator: start.job.operator,
      variables: this.#plan.variables,
      workflowName: this.#plan.workflowName,
    });
    setMaxListeners(0, this.#abort.signal);
    this.#start = start;
  }

  /** No new steps start; in-flight steps finish; the job ends `paused`. */
  pause(): void {
    if (this.#pauseRequested || this.#abortRequested) return;
    this.#pauseRequested = true;
    this.log('info', 'pause requested: no new steps will start; waiting for in-flight steps to finish');
  }

  /**
   * Stops now but resumably: no new steps start, in-flight tasks see their
   * AbortSignal, their steps stay recorded `running` (exactly as after a
   * crash, so a resume attempts them again), and the job ends `paused`.
   */
  interrupt(reason = 'interrupted by the operator'): void {
    if (this.#interruptRequested || this.#abortRequested) return;
    this.#interruptRequested = true;
    this.#pauseRequested = true;
    this.log('warn', `interrupt requested: aborting in-flight steps, which stay recorded as running for resume (${reason})`);
    const err = new Error(`job ${this.jobId} interrupted: ${reason}`);
    err.name = 'AbortError';
    this.#abort.abort(err);
  }

  /** In-flight tasks see their AbortSignal; the job ends `cancelled`. */
  abort(reason = 'aborted by the operator'): void {
    if (this.#abortRequested) return;
    this.#abortRequested = true;
    this.#abortMessage = reason;
    this.log('warn', `abort requested: ${reason}`);
    this.#abort.abort(new UnrecoverableError(`job ${this.jobId} aborted: ${reason}`, { code: 'JOB_ABORTED' }));
  }

  /** Emits an event; a listener that throws never disturbs the job (the error is logged). */
  #emit<K extends keyof EngineEvents>(name: K, event: Parameters<EngineEvents[K]>[0]): void {
    try {
      (this.#d.emitter.emit as (n: K, e: unknown) => boolean)(name, event);
    } catch (e) {
      try {
        this.#d.logger.error(`an engine '${String(name)}' event listener threw: ${(e as Error)?.message ?? String(e)}`, { jobId: this.jobId });
      } catch {
        // nothing more to do
      }
    }
  }

  log(level: LogLevel, message: string, fields?: LogFields, stepId?: string, nodeId?: string): void {
    const ev: LogEvent = {
      jobId: this.jobId,
      at: this.#d.clock.now(),
      level,
      message,
    };
    if (fields !== undefined) ev.fields = fields;
    if (stepId !== undefined) ev.stepId = stepId;
    if (nodeId !== undefined) ev.nodeId = nodeId;
    this.#emit('log', ev);
    const extra = { jobId: this.jobId, ...(stepId ? { stepId } : {}), ...(nodeId ? { nodeId } : {}), ...fields };
    this.#d.logger[level](message, extra);
  }

  #canStartStep(): boolean {
    return !this.#halted && !this.#pauseRequested && !this.#abortRequested && this.#storeError === undefined;
  }

  #stopFatal(error: unknown): void {
    if (this.#storeError !== undefined) return;
    this.#storeError = error;
    this.#heartbeatStop.abort();
    this.log('error', `cannot record progress safely, stopping the job at once: ${(error as Error)?.message ?? String(error)}`);
    // A runner that cannot record must not keep acting on the cluster.
    this.#abort.abort(error);
  }

  async #commit(t: Transition): Promise<boolean> {
    if (this.#storeError !== undefined) return false;
    try {
      await this.#d.store.commit(this.#lease, t);
      return true;
    } catch (e) {
      this.#stopFatal(e);
      return false;
    }
  }

  #emitJob(state: JobState | 'interrupted', reason: NonNullable<JobEvent['reason']>, error?: ErrorDetail): void {
    const ev: JobEvent = {
      jobId: this.jobId,
      at: this.#d.clock.now(),
      state,
      cluster: this.#job.cluster,
      operator: this.#job.operator,
      workflowName: this.#job.workflowName,
      reason,
    };
    if (error) ev.error = error;
    if (this.#failedSteps.length > 0) {
      ev.failedNodes = [...this.#failedNodes];
      ev.failedSteps = [...this.#failedSteps];
    }
    this.#emit('job', ev);
  }

  /**
   * Records the job as running (the first transition of the run). Throws what
   * the store throws (e.g. `ClusterLockedError` when a failed job is retried
   * while another job holds the cluster); the lease is then released.
   */
  async open(): Promise<void> {
    const start = this.#start;
    const resetIds = start.resume?.retriedStepIds ?? [];
    const steps: StepUpdate[] = resetIds.map((id) => {
      const r = start.resume!.openRecord(id)!;
      const u: StepUpdate = { stepId: id, state: 'pending', attempts: r.attempts };
      if (r.nodeId !== undefined) u.nodeId = r.nodeId;
      return u;
    });
    const reason = start.resumed ? 'resumed' : 'started';
    try {
      await this.#d.store.commit(this.#lease, {
        at: this.#d.clock.now(),
        // Resuming is an explicit "go on": a pending pause request is dropped; a
        // pending cancel request is kept and acted on before the first step.
        job: { state: 'running', error: null, clearControl: this.#job.control !== 'cancel' },
        steps,
        events: [{ type: `job.${reason}`, data: { holder: this.#lease.holder, token: this.#lease.token, retriedSteps: resetIds.length } }],
      });
    } catch (e) {
      await this.#d.store.releaseLease(this.#lease).catch(() => {});
      throw e;
    }
  }

  /** Runs the job after {@link open}; resolves `done`. */
  launch(): Promise<JobOutcome> {
    this.done = this.#main();
    return this.done;
  }

  async #main(): Promise<JobOutcome> {
    try {
      const reason = this.#start.resumed ? 'resumed' : 'started';
      this.#emitJob('running', reason);
      void this.#heartbeat();

      for (const step of this.#plan.steps) {
        if (!this.#canStartStep()) {
          this.#incomplete = true;
          break;
        }
        await this.#checkControl();
        if (!this.#canStartStep()) {
          this.#incomplete = true;
          break;
        }
        if (step.kind === 'cluster-task') {
          const ok = await this.#runStepIfNeeded(step.id, step.task, undefined);
          if (!ok) {
            this.#halted = true;
          }
        } else {
          await this.#runNodeWorkflow(step);
          // A node workflow with failed nodes does not let later steps run.
          if (this.#failedSteps.length > 0) this.#halted = true;
        }
      }
      return await this.#finish();
    } catch (e) {
      // A bug in the engine itself: stop and say so, never reject `done`.
      this.#stopFatal(e);
      return this.#finish();
    } finally {
      this.#heartbeatStop.abort();
    }
  }

  async #finish(): Promise<JobOutcome> {
    this.#heartbeatStop.abort();
    const outcome: JobOutcome = {
      jobId: this.jobId,
      state: 'succeeded',
      failedNodes: [...this.#failedNodes],
      failedSteps: [...this.#failedSteps],
      stepsSucceeded: this.#succeeded,
    };
    if (this.#storeError !== undefined) {
      outcome.state = 'interrupted';
      outcome.error = toErrorDetail(this.#storeError);
      this.#emitJob('interrupted', 'interrupted', outcome.error);
      return outcome;
    }
    let state: JobOutcomeState;
    let error: ErrorDetail | undefined;
    if (this.#abortRequested) {
      state = 'cancelled';
      error = toErrorDetail(new UnrecoverableError(`job aborted: ${this.#abortMessage}`, { code: 'JOB_ABORTED' }));
    } else if (this.#failedSteps.length > 0) {
      state = 'failed';
      error = this.#failureDetail();
    } else if (this.#incomplete) {
      state = 'paused';
    } else {
      state = 'succeeded';
    }
    outcome.state = state;
    if (error) outcome.error = error;
    const jobState = state as JobState;
    const ok = await this.#commit({
      at: this.#d.clock.now(),
      job: { state: jobState, error: error ?? null, clearControl: true },
      events: [
        {
          type: `job.${state}`,
          data: error ? { error, failedNodes: outcome.failedNodes } : { stepsSucceeded: this.#succeeded },
        },
      ],
    });
    if (!ok) {
      outcome.state = 'interrupted';
      outcome.error = toErrorDetail(this.#storeError);
      this.#emitJob('interrupted', 'interrupted', outcome.error);
      return outcome;
    }
    try {
      await this.#d.store.releaseLease(this.#lease);
    } catch (e) {
      this.log('warn', `could not release the lease: ${(e as Error)?.message ?? String(e)}`);
    }
    this.#emitJob(jobState, state === 'paused' ? 'paused' : state === 'cancelled' ? 'cancelled' : 'finished', error);
    return outcome;
  }

  #failureDetail(): ErrorDetail {
    const first = this.#failedSteps[0]!;
    const nodes = this.#failedNodes;
    const where = first.nodeId ? `node ${first.nodeId}, step ${first.stepId}` : `cluster step ${first.stepId}`;
    const head =
      nodes.length > 0
        ? `${nodes.length} node(s) failed: ${nodes.slice(0, 10).join(', ')}${nodes.length > 10 ? ', ...' : ''}`
        : `cluster step ${first.stepId} failed`;
    return {
      name: 'JobFailedError',
      code: 'JOB_FAILED',
      message: `${head}; first failure at ${where} (!${first.task}): ${first.error.message}`,
      classification: 'unrecoverable',
      details: {
        failedNodes: [...nodes],
        failedSteps: this.#failedSteps.map((s) => ({ stepId: s.stepId, nodeId: s.nodeId, task: s.task, message: s.error.message })),
      },
      cause: first.error,
    };
  }

  async #heartbeat(): Promise<void> {
    const { clock, store, heartbeatMs, leaseTtlMs } = this.#d;
    const signal = this.#heartbeatStop.signal;
    while (!signal.aborted) {
      try {
        await clock.sleep(heartbeatMs, signal);
      } catch {
        return;
      }
      if (signal.aborted || this.#storeError !== undefined) return;
      try {
        this.#lease = await store.renewLease(this.#lease, leaseTtlMs, clock.now());
      } catch (e) {
        this.#stopFatal(e);
        return;
      }
      await this.#checkControl();
    }
  }

  /** Acts on a pause/cancel request recorded in the store by another process. */
  async #checkControl(): Promise<void> {
    if (this.#storeError !== undefined) return;
    let job: JobRecord;
    try {
      job = await this.#d.store.getJob(this.jobId);
    } catch (e) {
      this.#stopFatal(e);
      return;
    }
    if (job.control === 'pause') this.pause();
    else if (job.control === 'cancel') this.abort('cancel requested through the job store');
  }

  #runNodeWorkflow(step: NodeWorkflowStep): Promise<void> {
    const batches = step.batches;
    const limit = Math.max(1, step.concurrencyLimit);
    let b = 0;
    const nextBatch = async (): Promise<void> => {
      for (; b < batches.length; b++) {
        if (!this.#canStartStep()) {
          this.#incomplete = true;
          return;
        }
        if (b > 0) await this.#checkControl();
        await this.#rollingWindow(batches[b]!.nodes, limit, step);
        if (this.#storeError !== undefined) return;
      }
    };
    return nextBatch();
  }

  /** Runs `nodes` with at most `limit` at once; a finished node's slot is refilled at once. */
  #rollingWindow(nodes: readonly string[], limit: number, step: NodeWorkflowStep): Promise<void> {
    return new Promise<void>((resolve) => {
      let next = 0;
      let active = 0;
      const pump = (): void => {
        while (active < limit && next < nodes.length) {
          if (!this.#canStartStep()) break;
          const nodeId = nodes[next++]!;
          if (this.#nodeDone(step, nodeId)) continue;
          active++;
          this.#runNode(step, nodeId).then(finished, (e: unknown) => {
            this.#stopFatal(e);
            finished();
          });
        }
        if (active === 0) {
          if (next < nodes.length) this.#incomplete = true;
          resolve();
        }
      };
      const finished = (): void => {
        active--;
        pump();
      };
      pump();
    });
  }

  #nodeDone(step: NodeWorkflowStep, nodeId: string): boolean {
    return this.#resume?.isNodeCompleted(step.id, nodeId) ?? false;
  }

  async #runNode(step: NodeWorkflowStep, nodeId: string): Promise<void> {
    const tasks = step.tasks;
    for (let t = 0; t < tasks.length; t++) {
      const id = nodeStepId(step.id, nodeId, t);
      const resume = this.#resume;
      if (resume?.isCompleted(id)) continue;
      const rec = resume?.openRecord(id);
      if (!this.#canStartStep()) {
        this.#incomplete = true;
        return;
      }
      const ok = await this.#runStepIfNeeded(id, tasks[t]!, nodeId, rec);
      if (!ok) {
        if (this.#storeError !== undefined) return;
        if (!this.#failedNodeSet.has(nodeId)) {
          this.#failedNodeSet.add(nodeId);
          this.#failedNodes.push(nodeId);
        }
        if (step.abortOnFirstFailure && !this.#abortRequested) {
          if (!this.#halted) this.log('error', `node ${nodeId} failed; abort_on_first_failure: no new node or step will start`, undefined, id, nodeId);
          this.#halted = true;
        }
        return;
      }
    }
  }

  #recordFailure(stepId: string, nodeId: string | undefined, task: string, error: ErrorDetail): void {
    const f: FailedStep = { stepId, task, error };
    if (nodeId !== undefined) f.nodeId = nodeId;
    this.#failedSteps.push(f);
  }

  /** Runs one step unless already done. Resolves true when it succeeded (now or before). */
  async #runStepIfNeeded(stepId: string, spec: TaskSpec, nodeId: string | undefined, rec = this.#resume?.openRecord(stepId)): Promise<boolean> {
    if (this.#resume?.isCompleted(stepId)) return true;
    if (rec?.state === 'failed') {
      // Failed in an earlier run and not reset (no retryFailed): it stays failed.
      this.#recordFailure(stepId, nodeId, spec.tag, rec.lastError ?? { name: 'Error', message: 'failed in an earlier run', classification: 'unrecoverable' });
      return false;
    }
    return this.#runStep(stepId, spec, nodeId, rec?.attempts ?? 0);
  }

  #stepEvent(stepId: string, nodeId: string | undefined, task: string, state: 'running' | 'succeeded' | 'failed', attempt: number, startedAt: number, error?: ErrorDetail): void {
    const at = this.#d.clock.now();
    const ev: StepEvent = { jobId: this.jobId, at, stepId, task, state, attempt };
    if (nodeId !== undefined) ev.nodeId = nodeId;
    if (state !== 'running') ev.durationMs = at - startedAt;
    if (error) ev.error = error;
    this.#emit('step', ev);
  }

  async #runStep(stepId: string, spec: TaskSpec, nodeId: string | undefined, previousAttempts: number): Promise<boolean> {
    const { clock } = this.#d;
    const task = spec.tag;
    const startedAt = clock.now();
    const fail = async (attempts: number, error: ErrorDetail): Promise<boolean> => {
      const u: StepUpdate = { stepId, state: 'failed', attempts, finishedAt: clock.now(), lastError: error };
      if (nodeId !== undefined) u.nodeId = nodeId;
      const ok = await this.#commit({ at: clock.now(), steps: [u], events: [{ type: 'step.failed', stepId, data: { attempt: attempts, error } }] });
      if (!ok) return false;
      this.#recordFailure(stepId, nodeId, task, error);
      this.#stepEvent(stepId, nodeId, task, 'failed', attempts, startedAt, error);
      this.log('error', `step ${stepId} (!${task}) failed: ${error.message}`, undefined, stepId, nodeId);
      return false;
    };

    let instance: Task;
    try {
      instance = nodeId !== undefined ? this.#d.registry.create('nodeTask', task, spec.params) : this.#d.registry.create('clusterTask', task, spec.params);
    } catch (e) {
      return fail(previousAttempts, toErrorDetail(e));
    }

    for (let n = 0; ; n++) {
      const attempt = previousAttempts + n + 1;
      const running: StepUpdate = { stepId, state: 'running', attempts: attempt };
      if (nodeId !== undefined) running.nodeId = nodeId;
      if (n === 0) running.startedAt = startedAt;
      const started = await this.#commit({
        at: clock.now(),
        steps: [running],
        events: [{ type: n === 0 ? 'step.started' : 'step.attempt', stepId, data: nodeId !== undefined ? { attempt, nodeId, task } : { attempt, task } }],
      });
      if (!started) return false;
      if (n === 0) this.#stepEvent(stepId, nodeId, task, 'running', attempt, startedAt);
      const attemptEv: AttemptEvent = { jobId: this.jobId, at: clock.now(), stepId, task, attempt };
      if (nodeId !== undefined) attemptEv.nodeId = nodeId;
      this.#emit('attempt', attemptEv);

      let result: unknown;
      let error: unknown;
      let failed = false;
      try {
        result = await this.#attempt(instance, spec, stepId, nodeId, attempt);
      } catch (e) {
        failed = true;
        error = e;
      }
      if (this.#storeError !== undefined) return false;

      if (!failed) {
        const u: StepUpdate = { stepId, state: 'succeeded', attempts: attempt, finishedAt: clock.now(), lastError: null };
        if (nodeId !== undefined) u.nodeId = nodeId;
        if (result !== undefined) u.result = jsonSafe(result);
        const ok = await this.#commit({ at: clock.now(), steps: [u], events: [{ type: 'step.succeeded', stepId, data: { attempt } }] });
        if (!ok) return false;
        this.#succeeded++;
        this.#stepEvent(stepId, nodeId, task, 'succeeded', attempt, startedAt);
        return true;
      }

      if (this.#interruptRequested && !this.#abortRequested) {
        // Leave the step recorded `running`: a resume attempts it again.
        this.#incomplete = true;
        this.log('warn', `step ${stepId} (!${task}) attempt ${attempt} interrupted; it will be attempted again on resume`, undefined, stepId, nodeId);
        return false;
      }
      const detail = toErrorDetail(error);
      const recoverable = !this.#abortRequested && classifyError(error) === 'recoverable';
      if (!recoverable || n >= spec.retries) return fail(attempt, detail);

      const retryAfterSeconds = (error as RecoverableError | undefined)?.retryAfterSeconds;
      const delayMs = computeRetryDelay(spec.retryBackoff, n + 1, this.#d.prng, {
        jitterRatio: this.#d.jitterRatio,
        ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      });
      const u: StepUpdate = { stepId, state: 'running', attempts: attempt, lastError: detail };
      if (nodeId !== undefined) u.nodeId = nodeId;
      const ok = await this.#commit({ at: clock.now(), steps: [u], events: [{ type: 'step.retry', stepId, data: { attempt, delayMs, error: detail } }] });
      if (!ok) return false;
      const retryEv: RetryEvent = { jobId: this.jobId, at: clock.now(), stepId, task, attempt, delayMs, error: detail };
      if (nodeId !== undefined) retryEv.nodeId = nodeId;
      this.#emit('retry', retryEv);
      this.log('warn', `step ${stepId} (!${task}) attempt ${attempt} failed, retrying in ${delayMs} ms: ${detail.message}`, undefined, stepId, nodeId);
      try {
        await clock.sleep(delayMs, this.#abort.signal);
      } catch (e) {
        if (this.#storeError !== undefined) return false;
        if (this.#interruptRequested && !this.#abortRequested) {
          this.#incomplete = true;
          return false;
        }
        return fail(attempt, toErrorDetail(e));
      }
    }
  }

  /** One attempt: preconditions, then execute; bounded by the step timeout and the job's abort. */
  async #attempt(instance: Task, spec: TaskSpec, stepId: string, nodeId: string | undefined, attempt: number): Promise<unknown> {
    const jobSignal = this.#abort.signal;
    if (jobSignal.aborted) throw abortReason(jobSignal);
    const ctl = new AbortController();
    const signal = ctl.signal;
    const onJobAbort = (): void => ctl.abort(jobSignal.reason);
    jobSignal.addEventListener('abort', onJobAbort, { once: true });
    let timer: AbortController | undefined;
    let onStop: (() => void) | undefined;
    try {
      const ctx = this.#context(stepId, nodeId, attempt, signal, spec.tag);
      const work = (async () => {
        const pre = instance.preconditions();
        for (const check of pre) await waitForCondition(check, ctx);
        return (instance.execute as (c: ClusterExecutionContext) => Promise<unknown>)(ctx);
      })();
      const stopped = new Promise<never>((_, reject) => {
        onStop = () => reject(abortReason(signal));
        signal.addEventListener('abort', onStop, { once: true });
      });
      if (spec.timeoutSeconds !== undefined && spec.timeoutSeconds > 0) {
        const t = new AbortController();
        timer = t;
        const seconds = spec.timeoutSeconds;
        this.#d.clock.sleep(seconds * 1000, t.signal).then(
          () => ctl.abort(new RecoverableError(`step ${stepId} (!${spec.tag}) attempt ${attempt} timed out after ${seconds}s`, { code: 'STEP_TIMEOUT', details: { stepId, timeoutSeconds: seconds } })),
          () => {},
        );
      }
      return await Promise.race([work, stopped]);
    } finally {
      timer?.abort();
      jobSignal.removeEventListener('abort', onJobAbort);
      if (onStop) signal.removeEventListener('abort', onStop);
    }
  }

  #context(stepId: string, nodeId: string | undefined, attempt: number, signal: AbortSignal, task: string): NodeExecutionContext | ClusterExecutionContext {
    const node = nodeId !== undefined ? this.#nodes.get(nodeId) : undefined;
    if (nodeId !== undefined && node === undefined) {
      throw new UnrecoverableError(`node ${nodeId} is not in the job's stored inventory`, { code: 'UNKNOWN_NODE', details: { nodeId } });
    }
    const { clock } = this.#d;
    const inventory = this.#plan.inventory;
    const job = this.#jobInfo;
    const services = this.#d.services.bind(node ? { inventory, node, job, clock, signal } : { inventory, job, clock, signal });
    const jobId = this.jobId;
    const reporter = (info: ConditionPollInfo): void => {
      const ev: ConditionPollEvent = { ...info, jobId, stepId, task };
      if (nodeId !== undefined) ev.nodeId = nodeId;
      this.#emit('condition-poll', ev);
    };
    const ctx = {
      inventory,
      job,
      logger: new StepLogger(this, stepId, nodeId),
      clock,
      signal,
      services,
      attempt,
      stepId,
      [CONDITION_POLL_REPORTER]: reporter,
    } as ClusterExecutionContext & { node?: InventoryNode };
    if (node) ctx.node = node;
    return ctx;
  }
}

/** A task result made safe to store as JSON (non-serializable values are described instead). */
function jsonSafe(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  } catch (e) {
    return { unserializable: String((e as Error)?.message ?? e) };
  }
}
