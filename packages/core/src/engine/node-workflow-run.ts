import type { Clock } from '../clock/clock.js';
import type { LogFields } from '../api/logger.js';
import { nodeStepId, type NodeWorkflowStep } from '../plan/job-plan.js';
import type { Transition } from '../store/job-store.js';
import type { DisruptionTracker } from './disruption-tracker.js';
import type { LogLevel } from './engine-events.js';
import type { ResumeState } from './resume-state.js';
import { runRollingWindow } from './rolling-window.js';
import type { RunState } from './run-state.js';
import { StepLane } from './step-lane.js';
import type { StepInLane, StepRunner, StepToRun } from './step-runner.js';

/** What running a node workflow needs from its run. @internal */
export interface NodeWorkflowHost {
  readonly state: RunState;
  readonly resume: ResumeState | undefined;
  readonly clock: Clock;
  readonly steps: StepRunner;
  readonly disruption: DisruptionTracker;
  cancelRequested(): boolean;
  /** Reads pending control requests; false when no new step may start. */
  mayStart(): Promise<boolean>;
  canStartStep(): boolean;
  /** Whether a new node may start (controls, window, canary). */
  nodeMayStart(nodeId: string, workflowStepId: string): boolean;
  /** A node of the workflow started (the canary's count). */
  nodeStarted(): void;
  stopFatal(error: unknown): void;
  /** Commits a held step success on its own (see `StepLane`). */
  commitHeldSuccess(t: Transition): Promise<boolean>;
  log(level: LogLevel, message: string, fields?: LogFields, stepId?: string, nodeId?: string): void;
}

/** Runs a node workflow's batches in order, each as a rolling window of its nodes. @internal */
export async function runNodeWorkflow(h: NodeWorkflowHost, step: NodeWorkflowStep): Promise<void> {
  const limit = Math.max(1, step.concurrencyLimit);
  for (const batch of step.batches) {
    if (!(await h.mayStart())) {
      h.state.incomplete = true;
      return;
    }
    // Nodes this job already took down come first: bring them back before
    // anything else is taken down (a resume after a crash mid-batch).
    const nodes = h.disruption.orderForBatch(step, batch.nodes);
    if (h.state.pauseReason !== undefined) return;
    const r = await runRollingWindow(nodes, limit, {
      canStart: (nodeId) => h.nodeMayStart(nodeId, step.id),
      isDone: (nodeId) => h.resume?.isNodeCompleted(step.id, nodeId) ?? false,
      run: (nodeId) => {
        h.nodeStarted();
        return runNode(h, step, nodeId);
      },
      onError: (e) => h.stopFatal(e),
    });
    if (r.stoppedEarly) h.state.incomplete = true;
    if (h.state.storeError !== undefined || h.state.halted) return;
  }
}

/**
 * Runs a node's steps in order, as one {@link StepLane}: a step's success is
 * committed with the next step's start when that one follows at once, and on
 * its own otherwise (the lane is flushed on every way out).
 */
async function runNode(h: NodeWorkflowHost, step: NodeWorkflowStep, nodeId: string): Promise<void> {
  const lane = new StepLane((t) => h.commitHeldSuccess(t), () => h.clock.now());
  try {
    await runLane(h, step, nodeId, lane);
  } finally {
    await lane.flush();
  }
}

async function runLane(h: NodeWorkflowHost, step: NodeWorkflowStep, nodeId: string, lane: StepLane): Promise<void> {
  const tasks = step.tasks;
  for (let t = 0; t < tasks.length; t++) {
    const id = nodeStepId(step.id, nodeId, t);
    const resume = h.resume;
    if (resume?.isCompleted(id)) {
      if (!(await lane.flush())) return;
      continue;
    }
    const record = resume?.openRecord(id);
    if (!h.canStartStep()) {
      await lane.flush();
      h.state.incomplete = true;
      return;
    }
    const r = await runStepIfNeeded(h, { stepId: id, spec: tasks[t]!, nodeId, ...(record ? { record } : {}) }, { lane, holdSuccess: t < tasks.length - 1 });
    if (r === 'stopped') return;
    if (r === 'failed') {
      if (h.state.storeError !== undefined) return;
      h.state.failures.node(nodeId);
      if (step.abortOnFirstFailure && !h.cancelRequested()) {
        if (!h.state.halted) h.log('error', `node ${nodeId} failed; abort_on_first_failure: no new node or step will start`, undefined, id, nodeId);
        h.state.halted = true;
      }
      return;
    }
  }
}

/** Runs one step unless already done (in a lane: see `StepRunner.run`). */
export async function runStepIfNeeded(h: NodeWorkflowHost, s: StepToRun, inLane?: StepInLane): Promise<'succeeded' | 'failed' | 'stopped'> {
  if (h.resume?.isCompleted(s.stepId)) {
    if (inLane && !(await inLane.lane.flush())) return 'stopped';
    return 'succeeded';
  }
  const rec = s.record ?? h.resume?.openRecord(s.stepId);
  if (rec?.state === 'failed') {
    if (inLane && !(await inLane.lane.flush())) return 'stopped';
    // Failed in an earlier run and not reset (no retryFailed): it stays failed.
    h.state.failures.step(s.stepId, s.nodeId, s.spec.tag, rec.lastError ?? { name: 'Error', message: 'failed in an earlier run', classification: 'unrecoverable' });
    return 'failed';
  }
  return h.steps.run(rec ? { ...s, record: rec } : s, inLane);
}
