import type { JobInfo } from '../api/context.js';
import type { LogFields } from '../api/logger.js';
import type { ErrorDetail } from '../errors/error-detail.js';
import type { JobPlan, NodeWorkflowStep } from '../plan/job-plan.js';
import type { JobRecord, JobState, Transition } from '../store/job-store.js';
import { ControlWatcher } from './control-watcher.js';
import { DisruptionTracker } from './disruption-tracker.js';
import { ContextFactory } from './execution-context.js';
import type { EngineEvents, JobEvent, JobOutcome, LogLevel } from './engine-events.js';
import type { InFlightRegistry } from './in-flight-registry.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { ResumeState } from './resume-state.js';
import { RunControls } from './run-controls.js';
import { finishRun, isEnding, runFinallySteps, type EndingHost } from './run-ending.js';
import { openTransition, type InventoryRebind } from './open-transition.js';
import { RunGates } from './run-gates.js';
import { RunRecorder } from './run-recorder.js';
import { RunReporter } from './run-reporter.js';
import { RunState } from './run-state.js';
import { runNodeWorkflow, runStepIfNeeded, type NodeWorkflowHost } from './node-workflow-run.js';
import { StepRunner, type StepHost, type StepToRun } from './step-runner.js';
import { APPROVAL_TAG, approvalSteps, awaitingApprovalDetail } from './human-gates.js';

export type { JobRunDeps, JobRunStart, ServiceBinder } from './job-run-deps.js';
import type { JobRunDeps, JobRunStart } from './job-run-deps.js';

/**
 * One run of a job by one engine: from lease acquisition to the final state.
 * The pieces: a {@link LeaseKeeper} renews the lease, a {@link ControlWatcher}
 * sees pause/cancel requests, {@link runRollingWindow} schedules a batch's
 * nodes, a {@link StepRunner} runs each step (its attempts settle through
 * `runAttempt`, claiming the node in the engine's {@link InFlightRegistry}),
 * a {@link DisruptionTracker} knows which nodes the job has taken down,
 * {@link RunControls} holds the operators' requests and the job's signal,
 * a {@link ContextFactory} builds execution contexts, a {@link RunState}
 * holds what the run has come to (its `FailureBook` collects failures into
 * the job's error), and `run-ending.ts` runs the `finally_tasks` and records
 * the end ({@link runFinallySteps}, {@link finishRun}).
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
  readonly #jobInfo: JobInfo;
  readonly #contexts: ContextFactory;
  readonly #ctl: RunControls;
  readonly #lease: LeaseKeeper;
  readonly #control: ControlWatcher;
  readonly #steps: StepRunner;
  readonly #disruption: DisruptionTracker;
  /** What the run has come to (halted, stopping on a store failure, failures, ...). */
  readonly #s = new RunState();
  readonly #rec: RunRecorder;
  readonly #report: RunReporter;
  /** The job's own pauses: maintenance window, canary, approvals. */
  readonly #gates: RunGates;

  constructor(deps: JobRunDeps, start: JobRunStart) {
    this.#d = deps;
    this.#job = start.job;
    this.#plan = start.job.plan;
    this.#resume = start.resume;
    this.jobId = start.job.id;
    this.#report = new RunReporter(deps.emitter, deps.logger, deps.clock, start.job, this.#s.failures);
    this.#disruption = new DisruptionTracker(this.#plan, deps.registry, start.resume);
    const disrupted = this.#disruption.view;
    this.#jobInfo = Object.freeze({
      id: this.jobId,
      operator: start.job.operator,
      variables: this.#plan.variables,
      workflowName: this.#plan.workflowName,
      disruptedNodes: disrupted,
    });
    this.#contexts = new ContextFactory({
      jobId: this.jobId,
      plan: this.#plan,
      job: this.#jobInfo,
      clock: deps.clock,
      services: deps.services,
      emitPoll: (ev) => this.#emit('condition-poll', ev),
      log: (level, message, fields, stepId, nodeId) => this.log(level, message, fields, stepId, nodeId),
    });
    this.#ctl = new RunControls(this.jobId, (level, message) => this.log(level, message));
    this.#start = start;
    this.#lease = new LeaseKeeper(start.lease, {
      store: deps.store,
      clock: deps.clock,
      ttlMs: deps.leaseTtlMs,
      heartbeatMs: deps.heartbeatMs,
      onLost: (e) => this.#stopFatal(e),
    });
    this.#rec = new RunRecorder({
      store: deps.store,
      state: this.#s,
      lease: () => this.#lease.lease,
      stopFatal: (e) => this.#stopFatal(e),
      onControlRequest: (r) => this.#ctl.onRequest(r),
    });
    this.#control = new ControlWatcher({
      store: deps.store,
      clock: deps.clock,
      jobId: this.jobId,
      pollMs: deps.controlPollMs,
      onRequest: (r) => this.#ctl.onRequest(r),
      onError: (e) => this.#stopFatal(e),
    });
    this.#steps = new StepRunner(this.#stepHost());
    this.#gates = new RunGates(this.jobId, this.#plan, start.resume, this.#s, deps.clock, (message, fields) => this.log('warn', message, fields));
  }

  /** No new steps start; in-flight steps finish; the job ends `paused`. */
  pause(): void {
    this.#ctl.pause();
  }

  /** Graceful cancel: no new step starts, in-flight steps finish, then the job ends `cancelled`. */
  cancel(reason = 'cancelled by the operator'): void {
    this.#ctl.cancel(reason);
  }

  /**
   * Stops now but resumably: no new steps start, in-flight tasks see their
   * AbortSignal, their steps stay recorded `running` (exactly as after a
   * crash, so a resume attempts them again), and the job ends `paused`.
   */
  interrupt(reason = 'interrupted by the operator'): void {
    this.#ctl.interrupt(reason);
  }

  /** Cancel now: in-flight tasks see their AbortSignal (and still settle); the job ends `cancelled`. */
  abort(reason = 'aborted by the operator'): void {
    this.#ctl.abort(reason);
  }

  /** Emits an event; a listener that throws never disturbs the job (the error is logged). */
  #emit<K extends keyof EngineEvents>(name: K, event: Parameters<EngineEvents[K]>[0]): void {
    this.#report.emit(name, event);
  }

  log(level: LogLevel, message: string, fields?: LogFields, stepId?: string, nodeId?: string): void {
    this.#report.log(level, message, fields, stepId, nodeId);
  }

  #canStartStep(): boolean {
    return !this.#s.halted && !this.#ctl.stopping && this.#s.storeError === undefined;
  }

  /** Reads pending control requests (unless `readStore` is false), then says whether a new step (or attempt) may start. */
  async #mayStart(readStore = true): Promise<boolean> {
    if (!this.#canStartStep()) return false;
    if (!readStore) return true;
    await this.#control.check();
    return this.#canStartStep();
  }

  #stopFatal(error: unknown): void {
    if (this.#s.storeError !== undefined) return;
    this.#s.storeError = error;
    this.#lease.stop();
    this.#control.stop();
    this.log('error', `cannot record progress safely, stopping the job at once: ${(error as Error)?.message ?? String(error)}`);
    // A runner that cannot record must not keep acting on the cluster.
    this.#ctl.fail(error);
  }

  #commit(t: Transition): Promise<boolean> {
    return this.#rec.commit(t);
  }

  #commitHeldSuccess(t: Transition): Promise<boolean> {
    return this.#rec.commitHeldSuccess(t);
  }

  #stepHost(): StepHost {
    const d = this.#d;
    return {
      jobId: this.jobId,
      cluster: this.#job.cluster,
      clock: d.clock,
      prng: d.prng,
      jitterRatio: d.jitterRatio,
      registry: d.registry,
      inFlight: d.inFlight,
      abandonGraceSeconds: d.abandonGraceSeconds,
      gate: this.#disruption,
      jobSignal: this.#ctl.signal,
      commit: (t) => this.#commit(t),
      controlOnCommit: d.store.commitChecksControl === true,
      commitStart: (t) => this.#rec.commitStart(t),
      emit: (name, event) => this.#emit(name, event),
      log: (level, message, fields, stepId, nodeId) => this.log(level, message, fields, stepId, nodeId),
      context: (stepId, nodeId, attempt, signal, task, track) => this.#contexts.build(stepId, nodeId, attempt, signal, task, track),
      mayStart: (readStore) => this.#mayStart(readStore),
      storeFailed: () => this.#s.storeError !== undefined,
      interruptRequested: () => this.#ctl.interruptRequested,
      abortRequested: () => this.#ctl.abortRequested,
      attemptAbandoned: (step, error) => {
        this.#s.abandonedError ??= error;
        if (!this.#s.halted) {
          this.log('error', `${(error as Error)?.message ?? String(error)}; the job halts: no new node, zone or attempt starts`, undefined, step.stepId, step.nodeId);
        }
        this.#s.halted = true;
      },
      leftIncomplete: () => {
        this.#s.incomplete = true;
      },
      recordFailure: (stepId, nodeId, task, error) => this.#s.failures.step(stepId, nodeId, task, error),
      stepSucceeded: () => {
        this.#s.succeeded++;
      },
    };
  }

  #emitJob(state: JobState | 'interrupted', reason: NonNullable<JobEvent['reason']>, error?: ErrorDetail): void {
    this.#report.job(state, reason, error);
  }


  /**
   * Records the job as running (the first transition of the run). Throws what
   * the store throws (e.g. `ClusterLockedError` when a failed job is retried
   * while another job holds the cluster); the lease is then released.
   */
  async open(rebind?: InventoryRebind): Promise<void> {
    const lease = this.#lease.lease;
    try {
      await this.#d.store.commit(lease, openTransition(this.#start, this.#plan, lease, this.#d.clock.now(), rebind));
    } catch (e) {
      await this.#d.store.releaseLease(lease).catch(() => {});
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
      this.#lease.start();
      this.#control.start();

      for (const step of this.#plan.steps) {
        if (!(await this.#mayStart())) {
          this.#s.incomplete = true;
          break;
        }
        if (step.kind === 'cluster-task') {
          if (this.#resume?.isCompleted(step.id)) continue;
          if (!this.#gates.windowOpen()) break;
          if (step.task.tag === APPROVAL_TAG) {
            // Approved (recorded succeeded by `approve`) steps were skipped above.
            const gate = approvalSteps(this.#plan).find((a) => a.stepId === step.id)!;
            this.#gates.pauseFor(awaitingApprovalDetail(this.jobId, step.id, gate.message));
            break;
          }
          const r = await this.#runStepIfNeeded({ stepId: step.id, spec: step.task });
          if (r === 'failed') this.#s.halted = true;
        } else {
          await this.#runNodeWorkflow(step);
          // A node workflow with failed nodes does not let later steps run.
          if (this.#s.failures.any) this.#s.halted = true;
          if (this.#s.pauseReason !== undefined) break;
        }
      }
      await this.#runFinally();
      return await this.#finish();
    } catch (e) {
      // A bug in the engine itself: stop and say so, never reject `done`.
      this.#stopFatal(e);
      return this.#finish();
    } finally {
      this.#lease.stop();
      this.#control.stop();
    }
  }

  /** Whether the job is ending (succeeded, failed or cancelled), not pausing or stopping. */
  #ending(): boolean {
    return isEnding(this.#s, this.#ctl);
  }

  /** See {@link runFinallySteps}. */
  #runFinally(): Promise<void> {
    return runFinallySteps(this.#endingHost());
  }

  /** See {@link finishRun}. */
  #finish(): Promise<JobOutcome> {
    return finishRun(this.#endingHost());
  }

  #endingHost(): EndingHost {
    return {
      jobId: this.jobId,
      plan: this.#plan,
      deps: this.#d,
      state: this.#s,
      ctl: this.#ctl,
      control: this.#control,
      lease: this.#lease,
      resume: this.#resume,
      freshFinally: this.#start.freshFinally === true,
      stepHost: () => this.#stepHost(),
      stopFatal: (e) => this.#stopFatal(e),
      commit: (t) => this.#commit(t),
      log: (level, message, fields) => this.log(level, message, fields),
      emitJob: (state, reason, error) => this.#emitJob(state, reason, error),
    };
  }

  #runNodeWorkflow(step: NodeWorkflowStep): Promise<void> {
    return runNodeWorkflow(this.#nodeHost(), step);
  }

  #runStepIfNeeded(s: StepToRun): Promise<'succeeded' | 'failed' | 'stopped'> {
    return runStepIfNeeded(this.#nodeHost(), s);
  }

  #nodeHost(): NodeWorkflowHost {
    return {
      state: this.#s,
      resume: this.#resume,
      clock: this.#d.clock,
      steps: this.#steps,
      disruption: this.#disruption,
      cancelRequested: () => this.#ctl.cancelRequested,
      mayStart: () => this.#mayStart(),
      canStartStep: () => this.#canStartStep(),
      nodeMayStart: (nodeId, workflowStepId) => this.#gates.nodeMayStart(nodeId, workflowStepId, this.#canStartStep()),
      nodeStarted: () => this.#gates.nodeStarted(),
      stopFatal: (e) => this.#stopFatal(e),
      commitHeldSuccess: (t) => this.#commitHeldSuccess(t),
      log: (level, message, fields, stepId, nodeId) => this.log(level, message, fields, stepId, nodeId),
    };
  }
}
