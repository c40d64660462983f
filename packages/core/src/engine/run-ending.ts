import type { LogFields } from '../api/logger.js';
import { toErrorDetail, type ErrorDetail } from '../errors/error-detail.js';
import { UnrecoverableError } from '../errors/task-errors.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { JobState, Transition } from '../store/job-store.js';
import type { ControlWatcher } from './control-watcher.js';
import type { JobEvent, JobOutcome, JobOutcomeState, LogLevel } from './engine-events.js';
import type { JobRunDeps } from './job-run-deps.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { ResumeState } from './resume-state.js';
import type { RunControls } from './run-controls.js';
import type { RunState } from './run-state.js';
import { StepRunner, type StepHost } from './step-runner.js';

/** What the end of a run needs from it. @internal */
export interface EndingHost {
  readonly jobId: string;
  readonly plan: JobPlan;
  readonly deps: JobRunDeps;
  readonly state: RunState;
  readonly ctl: RunControls;
  readonly control: ControlWatcher;
  readonly lease: LeaseKeeper;
  readonly resume: ResumeState | undefined;
  /** Run the finally steps afresh (a retry), whatever their records say. */
  readonly freshFinally: boolean;
  stepHost(): StepHost;
  stopFatal(error: unknown): void;
  commit(t: Transition): Promise<boolean>;
  log(level: LogLevel, message: string, fields?: LogFields): void;
  emitJob(state: JobState | 'interrupted', reason: NonNullable<JobEvent['reason']>, error?: ErrorDetail): void;
}

/** Whether the job is ending (succeeded, failed or cancelled), not pausing or stopping. @internal */
export function isEnding(s: RunState, ctl: RunControls): boolean {
  if (s.storeError !== undefined || ctl.interruptRequested) return false;
  return ctl.cancelRequested || s.abandonedError !== undefined || s.failures.any || !s.incomplete;
}

/**
 * Runs the plan's `finallySteps` when the job is ending in any way: after
 * every attempt of the main body settled, in order, each recorded like any
 * step (a resume skips those that succeeded). A failed one does not stop the
 * others (and fails a job that would have succeeded). A cancel is first
 * recorded in the store as a control request, so that a crash during the
 * clean-up resumes into the same end. Cancel --now does not abort them; an
 * interrupt (or a store failure) does, and the job then ends `paused` so
 * that a resume runs the rest.
 */
export async function runFinallySteps(h: EndingHost): Promise<void> {
  const finals = h.plan.finallySteps ?? [];
  if (finals.length === 0 || !isEnding(h.state, h.ctl)) return;
  await h.deps.inFlight.whenIdle(h.jobId);
  if (!isEnding(h.state, h.ctl)) return;
  if (h.ctl.cancelRequested) {
    try {
      await h.deps.store.requestControl(h.jobId, h.ctl.abortRequested ? 'cancel-now' : 'cancel', h.deps.clock.now());
    } catch (e) {
      h.stopFatal(e);
      return;
    }
  }
  const ending = h.ctl.cancelRequested ? 'cancelled' : h.state.failures.any || h.state.abandonedError !== undefined ? 'failed' : 'succeeded';
  h.log('info', `the job is ending (${ending}): running its ${finals.length} finally task(s)`);
  const mayStart = async (): Promise<boolean> => {
    if (h.state.storeError !== undefined || h.ctl.interruptRequested) return false;
    await h.control.check();
    return h.state.storeError === undefined && !h.ctl.interruptRequested;
  };
  const runner = new StepRunner({
    ...h.stepHost(),
    jobSignal: h.ctl.finallySignal,
    // The clean-up runs with a cancel pending (recorded above): its starts are never refused for it.
    controlOnCommit: false,
    mayStart,
    abortRequested: () => false,
    leftIncomplete: () => {
      h.state.finallyUnfinished = true;
      h.state.incomplete = true;
    },
  });
  const fresh = h.freshFinally;
  for (const f of finals) {
    if (!fresh && h.resume?.isCompleted(f.id)) continue;
    if (!(await mayStart())) {
      h.state.finallyUnfinished = true;
      h.state.incomplete = true;
      return;
    }
    const rec = fresh ? undefined : h.resume?.openRecord(f.id);
    if (rec?.state === 'failed') {
      h.state.failures.step(f.id, undefined, f.task.tag, rec.lastError ?? { name: 'Error', message: 'failed in an earlier run', classification: 'unrecoverable' });
      continue;
    }
    const r = await runner.run({ stepId: f.id, spec: f.task, ...(rec ? { record: rec } : {}) });
    if (r === 'stopped') {
      h.state.finallyUnfinished = true;
      h.state.incomplete = true;
      return;
    }
  }
}

/** Ends the run: waits for every attempt to settle, records the job's end state, releases the lease, emits the job event. @internal */
export async function finishRun(h: EndingHost): Promise<JobOutcome> {
  h.control.stop();
  // Never report an end while an attempt of this job is still in flight.
  await h.deps.inFlight.whenIdle(h.jobId);
  h.lease.stop();
  const outcome: JobOutcome = {
    jobId: h.jobId,
    state: 'succeeded',
    failedNodes: h.state.failures.nodes(),
    failedSteps: h.state.failures.steps(),
    stepsSucceeded: h.state.succeeded,
  };
  if (h.state.storeError !== undefined) {
    outcome.state = 'interrupted';
    outcome.error = toErrorDetail(h.state.storeError);
    h.emitJob('interrupted', 'interrupted', outcome.error);
    return outcome;
  }
  let state: JobOutcomeState;
  let error: ErrorDetail | undefined;
  if (h.state.finallyUnfinished) {
    // The clean-up was interrupted: the job has not ended; a resume runs the rest.
    state = 'paused';
  } else if (h.state.abandonedError !== undefined) {
    state = 'failed';
    const own = toErrorDetail(h.state.abandonedError);
    error = { ...own, details: { ...own.details, ...h.state.failures.detail().details } };
  } else if (h.ctl.cancelRequested) {
    state = 'cancelled';
    error = toErrorDetail(new UnrecoverableError(`job ${h.ctl.abortRequested ? 'aborted' : 'cancelled'}: ${h.ctl.cancelMessage}`, { code: 'JOB_ABORTED' }));
  } else if (h.state.failures.any) {
    state = 'failed';
    error = h.state.failures.detail();
  } else if (h.state.incomplete) {
    state = 'paused';
    error = h.state.pauseReason;
  } else {
    state = 'succeeded';
  }
  outcome.state = state;
  if (error) outcome.error = error;
  const jobState = state as JobState;
  const ok = await h.commit({
    at: h.deps.clock.now(),
    // An interrupted clean-up keeps a pending cancel, so that the resume ends the job cancelled.
    job: { state: jobState, error: error ?? null, clearControl: !h.state.finallyUnfinished },
    events: [
      {
        type: `job.${state}`,
        data: state === 'paused' ? { stepsSucceeded: h.state.succeeded, ...(error ? { reason: error } : {}) } : error ? { error, failedNodes: outcome.failedNodes } : { stepsSucceeded: h.state.succeeded },
      },
    ],
  });
  if (!ok) {
    outcome.state = 'interrupted';
    outcome.error = toErrorDetail(h.state.storeError);
    h.emitJob('interrupted', 'interrupted', outcome.error);
    return outcome;
  }
  try {
    await h.deps.store.releaseLease(h.lease.lease);
  } catch (e) {
    h.log('warn', `could not release the lease: ${(e as Error)?.message ?? String(e)}`);
  }
  h.emitJob(jobState, state === 'paused' ? 'paused' : state === 'cancelled' ? 'cancelled' : 'finished', error);
  return outcome;
}
