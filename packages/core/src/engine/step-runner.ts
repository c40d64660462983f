import type { ClusterExecutionContext, NodeExecutionContext } from '../api/context.js';
import type { ExecuteClusterTask, ExecuteNodeTask } from '../api/task.js';
import type { Clock } from '../clock/clock.js';
import { classifyError } from '../errors/classify-error.js';
import { toErrorDetail, type ErrorDetail } from '../errors/error-detail.js';
import { UnrecoverableError, type RecoverableError } from '../errors/task-errors.js';
import type { TaskSpec } from '../plan/job-plan.js';
import { plannedPreconditionChecks } from '../plan/planned-preconditions.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { StepRecord, StepUpdate, Transition } from '../store/job-store.js';
import type { Prng } from '../util/prng.js';
import type { AttemptEvent, EngineEvents, LogLevel, RetryEvent, StepEvent } from './engine-events.js';
import type { InFlightRegistry } from './in-flight-registry.js';
import { computeRetryDelay } from './retry-policy.js';
import { runAttempt } from './step-attempt.js';
import type { StepLane } from './step-lane.js';
import { waitForCondition, type AttemptWorkTracker } from './wait-for-condition.js';

type Task = ExecuteNodeTask | ExecuteClusterTask;
type AnyContext = NodeExecutionContext | ClusterExecutionContext;

/** One step to run: its id, its task, its node (absent: a cluster step) and its stored record. */
export interface StepToRun {
  stepId: string;
  spec: TaskSpec;
  nodeId?: string;
  /** The stored record from earlier runs (a resume), if any. */
  record?: StepRecord;
}

/** How a step attempt's preconditions are entered (the disruption guard, see `DisruptionTracker`). */
export interface AttemptGate {
  /** Runs `preconditions` as the decision to go on with the step; may serialize it with others. */
  decide(step: StepToRun, instance: Task, signal: AbortSignal, preconditions: () => Promise<void>): Promise<void>;
  /** The step succeeded. */
  succeeded(step: StepToRun, instance: Task): void;
}

/** What a {@link StepRunner} needs from its run. @internal */
export interface StepHost {
  readonly jobId: string;
  readonly cluster: string;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly jitterRatio: number;
  readonly registry: PluginRegistry;
  readonly inFlight: InFlightRegistry;
  /** Engine-wide abandon grace, seconds (a step's `abandonGraceSeconds` overrides it). */
  readonly abandonGraceSeconds: number;
  readonly gate: AttemptGate;
  /** The job's signal (cancel --now, interrupt, store failure). */
  readonly jobSignal: AbortSignal;
  commit(t: Transition): Promise<boolean>;
  /**
   * Whether a step's start is committed with `unlessControlRequested` (the
   * store refuses it while a pause/cancel request is pending), so that
   * {@link mayStart} need not read the store first.
   */
  readonly controlOnCommit: boolean;
  /**
   * Commits a step's start: `started`; `control` (refused by the store, nothing
   * written, the pending request is now known to the run); `stopped` (store failure).
   */
  commitStart(t: Transition): Promise<'started' | 'control' | 'stopped'>;
  emit<K extends keyof EngineEvents>(name: K, event: Parameters<EngineEvents[K]>[0]): void;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>, stepId?: string, nodeId?: string): void;
  context(stepId: string, nodeId: string | undefined, attempt: number, signal: AbortSignal, task: string, track: AttemptWorkTracker): AnyContext;
  /**
   * Reads pending control requests (`readStore`, @default true: from the store;
   * false: those the run already knows); false when no new step (or attempt) may start.
   */
  mayStart(readStore?: boolean): Promise<boolean>;
  storeFailed(): boolean;
  interruptRequested(): boolean;
  abortRequested(): boolean;
  /** An attempt did not stop within its grace: the run halts. */
  attemptAbandoned(step: StepToRun, error: unknown): void;
  /** A step is left `running` for a resume (interrupt) or not started (pause before it). */
  leftIncomplete(): void;
  recordFailure(stepId: string, nodeId: string | undefined, task: string, error: ErrorDetail): void;
  stepSucceeded(): void;
}

/** What {@link StepRunner.run} reports. */
export type StepResult = 'succeeded' | 'failed' | 'stopped';

/** Where a step runs: its node's lane, and whether the lane's next step follows it. */
export interface StepInLane {
  lane: StepLane;
  /**
   * The lane has a next step: on success, hold this step's record for the
   * next step's start instead of committing it (the lane's owner flushes it
   * when the next step does not start). @default false
   */
  holdSuccess?: boolean;
}

/**
 * Runs one step: attempts (each settles before the next starts, see
 * `runAttempt`) with retries of recoverable errors by the step's policy.
 * The retry budget counts every attempt recorded for the step, across
 * interrupts and resumes: `retries: 1` allows 2 attempts in total. @internal
 */
export class StepRunner {
  constructor(private readonly h: StepHost) {}

  #stepEvent(s: StepToRun, state: 'running' | 'succeeded' | 'failed', attempt: number, startedAt: number, error?: ErrorDetail): void {
    const at = this.h.clock.now();
    const ev: StepEvent = { jobId: this.h.jobId, at, stepId: s.stepId, task: s.spec.tag, state, attempt };
    if (s.nodeId !== undefined) ev.nodeId = s.nodeId;
    if (state !== 'running') ev.durationMs = at - startedAt;
    if (error) ev.error = error;
    this.h.emit('step', ev);
  }

  async #fail(s: StepToRun, attempts: number, error: ErrorDetail, startedAt: number): Promise<StepResult> {
    const { clock } = this.h;
    const u: StepUpdate = { stepId: s.stepId, state: 'failed', attempts, finishedAt: clock.now(), lastError: error };
    if (s.nodeId !== undefined) u.nodeId = s.nodeId;
    const ok = await this.h.commit({ at: clock.now(), steps: [u], events: [{ type: 'step.failed', stepId: s.stepId, data: { attempt: attempts, error } }] });
    if (!ok) return 'stopped';
    this.h.recordFailure(s.stepId, s.nodeId, s.spec.tag, error);
    this.#stepEvent(s, 'failed', attempts, startedAt, error);
    this.h.log('error', `step ${s.stepId} (!${s.spec.tag}) failed: ${error.message}`, undefined, s.stepId, s.nodeId);
    return 'failed';
  }

  /**
   * Runs the step to success, failure, or a stop (pause before it, interrupt,
   * store failure). In a lane (`inLane`), a success the lane holds from the
   * previous step is committed with this step's first `running` record, or
   * on its own before anything else when this step does not start; this
   * step's own success is held when `inLane.holdSuccess`.
   */
  async run(s: StepToRun, inLane?: StepInLane): Promise<StepResult> {
    const h = this.h;
    const lane = inLane?.lane;
    /** Commits the previous step's held success on its own: this step does not start at once. */
    const flush = async (): Promise<boolean> => (lane ? lane.flush() : true);
    const { clock } = h;
    const task = s.spec.tag;
    const startedAt = clock.now();
    const previousAttempts = s.record?.attempts ?? 0;
    const maxAttempts = s.spec.retries + 1;
    // An attempt cut short by a crash or an interrupt (recorded `running`
    // without a `lastError`: each attempt clears it when it starts) never
    // concluded: it is run again under the same number, so interrupts never
    // add attempts to the budget. A `running` record with a `lastError` was
    // waiting for its retry: that attempt concluded (it failed).
    const cutShort = s.record?.state === 'running' && previousAttempts >= 1 && s.record.lastError === undefined;
    const firstAttempt = cutShort ? previousAttempts : previousAttempts + 1;

    let instance: Task;
    try {
      instance = s.nodeId !== undefined ? h.registry.create('nodeTask', task, s.spec.params) : h.registry.create('clusterTask', task, s.spec.params);
    } catch (e) {
      if (!(await flush())) return 'stopped';
      return this.#fail(s, previousAttempts, toErrorDetail(e), startedAt);
    }
    if (firstAttempt > maxAttempts) {
      if (!(await flush())) return 'stopped';
      const err = new UnrecoverableError(
        `step ${s.stepId} (!${task}) already used its ${maxAttempts} attempt(s) (retries: ${s.spec.retries}) in earlier runs. Retry the job to give failed steps a fresh budget.`,
        { code: 'RETRIES_EXHAUSTED', details: { stepId: s.stepId, attempts: previousAttempts, retries: s.spec.retries } },
      );
      return this.#fail(s, previousAttempts, toErrorDetail(err), startedAt);
    }

    for (let n = 0; ; n++) {
      const attempt = firstAttempt + n;
      // With controlOnCommit the store checks for a pending request in the start's own commit.
      if (!(await h.mayStart(!h.controlOnCommit))) {
        await flush();
        h.leftIncomplete();
        return 'stopped';
      }
      // lastError is cleared while an attempt runs (the events keep the history):
      // a resume tells an attempt cut short from one that failed by it.
      const running: StepUpdate = { stepId: s.stepId, state: 'running', attempts: attempt, lastError: null };
      if (s.nodeId !== undefined) running.nodeId = s.nodeId;
      if (n === 0) running.startedAt = startedAt; // the store keeps the first one ever
      const startEvent = {
        type: n === 0 ? 'step.started' : 'step.attempt',
        stepId: s.stepId,
        data: s.nodeId !== undefined ? { attempt, nodeId: s.nodeId, task } : { attempt, task },
      };
      // The previous step's held success and this start: one transaction, the
      // success's event first. Refused (stale token, store failure): neither is
      // recorded, and the previous step stays `running` for a resume.
      if (n === 0 && h.storeFailed()) {
        // The run is stopping on a store failure: no start; the held success is still recorded (fenced).
        await flush();
        return 'stopped';
      }
      const held = n === 0 ? lane?.take() : undefined;
      const started = await h.commitStart({
        at: clock.now(),
        steps: held ? [held.update, running] : [running],
        events: held ? [held.event, startEvent] : [startEvent],
        ...(h.controlOnCommit ? { unlessControlRequested: true } : {}),
      });
      if (started === 'control') {
        // A pause or cancel was recorded: this step does not start; the previous one's success is recorded alone.
        if (held) {
          lane!.hold(held);
          await flush();
        }
        h.leftIncomplete();
        return 'stopped';
      }
      if (started === 'stopped') return 'stopped';
      held?.settle();
      if (n === 0) this.#stepEvent(s, 'running', attempt, startedAt);
      const attemptEv: AttemptEvent = { jobId: h.jobId, at: clock.now(), stepId: s.stepId, task, attempt };
      if (s.nodeId !== undefined) attemptEv.nodeId = s.nodeId;
      h.emit('attempt', attemptEv);

      const outcome = await this.#attempt(s, instance, attempt);
      if (h.storeFailed()) return 'stopped';

      if (outcome.ok) {
        const u: StepUpdate = { stepId: s.stepId, state: 'succeeded', attempts: attempt, finishedAt: clock.now(), lastError: null };
        if (s.nodeId !== undefined) u.nodeId = s.nodeId;
        if (outcome.value !== undefined) u.result = jsonSafe(outcome.value);
        const event = { type: 'step.succeeded', stepId: s.stepId, data: { attempt } };
        const settle = (): void => {
          h.gate.succeeded(s, instance);
          h.stepSucceeded();
          this.#stepEvent(s, 'succeeded', attempt, startedAt);
        };
        // Held only where nothing reads or waits before the next start's commit: the store
        // checks control requests in that commit (controlOnCommit); otherwise the run reads
        // the store before each step, and the success is committed first, on its own.
        if (lane && inLane?.holdSuccess === true && h.controlOnCommit) {
          lane.hold({ update: u, event, settle });
          return 'succeeded';
        }
        const ok = await h.commit({ at: clock.now(), steps: [u], events: [event] });
        if (!ok) return 'stopped';
        settle();
        return 'succeeded';
      }

      const error = outcome.error;
      if (outcome.abandoned) {
        h.attemptAbandoned(s, error);
        return this.#fail(s, attempt, toErrorDetail(error), startedAt);
      }
      if (h.interruptRequested() && !h.abortRequested()) {
        // Leave the step recorded `running`: a resume attempts it again.
        h.leftIncomplete();
        h.log('warn', `step ${s.stepId} (!${task}) attempt ${attempt} interrupted; it will be attempted again on resume`, undefined, s.stepId, s.nodeId);
        return 'stopped';
      }
      const detail = toErrorDetail(error);
      const recoverable = !h.abortRequested() && classifyError(error) === 'recoverable';
      if (!recoverable || attempt >= maxAttempts) return this.#fail(s, attempt, detail, startedAt);

      const retryAfterSeconds = (error as RecoverableError | undefined)?.retryAfterSeconds;
      const delayMs = computeRetryDelay(s.spec.retryBackoff, n + 1, h.prng, {
        jitterRatio: h.jitterRatio,
        ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      });
      const u: StepUpdate = { stepId: s.stepId, state: 'running', attempts: attempt, lastError: detail };
      if (s.nodeId !== undefined) u.nodeId = s.nodeId;
      const ok = await h.commit({ at: clock.now(), steps: [u], events: [{ type: 'step.retry', stepId: s.stepId, data: { attempt, delayMs, error: detail } }] });
      if (!ok) return 'stopped';
      const retryEv: RetryEvent = { jobId: h.jobId, at: clock.now(), stepId: s.stepId, task, attempt, delayMs, error: detail };
      if (s.nodeId !== undefined) retryEv.nodeId = s.nodeId;
      h.emit('retry', retryEv);
      h.log('warn', `step ${s.stepId} (!${task}) attempt ${attempt} failed, retrying in ${delayMs} ms: ${detail.message}`, undefined, s.stepId, s.nodeId);
      try {
        await clock.sleep(delayMs, h.jobSignal);
      } catch (e) {
        if (h.storeFailed()) return 'stopped';
        if (h.interruptRequested() && !h.abortRequested()) {
          h.leftIncomplete();
          return 'stopped';
        }
        return this.#fail(s, attempt, toErrorDetail(e), startedAt);
      }
    }
  }

  /** One attempt, holding the node's in-flight claim until it settled (or was abandoned). */
  async #attempt(s: StepToRun, instance: Task, attempt: number) {
    const h = this.h;
    let claim;
    try {
      claim = await h.inFlight.acquire({ jobId: h.jobId, cluster: h.cluster, stepId: s.stepId, attempt, since: h.clock.now(), ...(s.nodeId !== undefined ? { nodeId: s.nodeId } : {}) }, h.jobSignal);
    } catch (e) {
      return { ok: false as const, error: e };
    }
    const graceSeconds = s.spec.abandonGraceSeconds ?? h.abandonGraceSeconds;
    const outcome = await runAttempt({
      clock: h.clock,
      jobSignal: h.jobSignal,
      graceMs: graceSeconds * 1000,
      stepId: s.stepId,
      task: s.spec.tag,
      attempt,
      ...(s.nodeId !== undefined ? { nodeId: s.nodeId } : {}),
      ...(s.spec.timeoutSeconds !== undefined ? { timeoutSeconds: s.spec.timeoutSeconds } : {}),
      work: async (signal, track) => {
        const ctx = h.context(s.stepId, s.nodeId, attempt, signal, s.spec.tag, track);
        await h.gate.decide(s, instance, signal, async () => {
          // Workflow-level gates and planner-placed checks (TaskSpec.preconditions) come first.
          for (const check of [...plannedPreconditionChecks(s.spec, h.registry), ...instance.preconditions()]) await waitForCondition(check, ctx);
        });
        return (instance.execute as (c: AnyContext) => Promise<unknown>)(ctx);
      },
    });
    if (outcome.ok === false && outcome.abandoned) {
      claim.abandon(outcome.abandoned);
      void outcome.abandoned.then(() =>
        h.log('warn', `the abandoned attempt ${attempt} of step ${s.stepId} settled at last; node ${s.nodeId ?? '(cluster)'} stays out of this process's work`, undefined, s.stepId, s.nodeId),
      );
    } else claim.release();
    return outcome;
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
