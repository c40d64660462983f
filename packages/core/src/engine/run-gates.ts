import type { Clock } from '../clock/clock.js';
import type { ErrorDetail } from '../errors/error-detail.js';
import type { JobPlan } from '../plan/job-plan.js';
import { MaintenanceWindow } from '../util/maintenance-window.js';
import { CANARY_APPROVAL_STEP_ID, approvalSteps, awaitingApprovalDetail, outsideWindowDetail } from './human-gates.js';
import type { ResumeState } from './resume-state.js';
import type { RunState } from './run-state.js';

/**
 * When a job pauses by itself: its maintenance window closed, its canary
 * (`stopAfterNodes`) awaiting approval, an approval step reached. The reason is
 * kept in the run's state (`pauseReason`, stored as the paused job's `error`);
 * no new node or step starts after it, in-flight ones finish. @internal
 */
export class RunGates {
  readonly #window: MaintenanceWindow | undefined;
  /** Nodes of the node workflows started in this run or finished in earlier ones (the canary's count). */
  #nodesStarted = 0;

  constructor(
    private readonly jobId: string,
    private readonly plan: JobPlan,
    private readonly resume: ResumeState | undefined,
    private readonly state: RunState,
    private readonly clock: Clock,
    private readonly warn: (message: string, fields?: Record<string, unknown>) => void,
  ) {
    this.#window = plan.maintenanceWindow ? new MaintenanceWindow(plan.maintenanceWindow) : undefined;
    if (resume) {
      for (const step of plan.steps) {
        if (step.kind !== 'node-workflow') continue;
        const seen = new Set<string>();
        for (const b of step.batches) for (const n of b.nodes) if (!seen.has(n) && resume.isNodeCompleted(step.id, n)) seen.add(n);
        this.#nodesStarted += seen.size;
      }
    }
  }

  /** A node of a node workflow started (the canary's count). */
  nodeStarted(): void {
    this.#nodesStarted++;
  }

  /** The job pauses by itself (awaiting approval, window closed): no new node or step starts; in-flight ones finish. */
  pauseFor(reason: ErrorDetail): void {
    if (this.state.pauseReason !== undefined) return;
    this.state.pauseReason = reason;
    this.state.incomplete = true;
    this.warn(reason.message, reason.details);
  }

  /** Whether the maintenance window (if any) lets a new node or main-body step start now; pauses the job when not. */
  windowOpen(): boolean {
    if (this.state.pauseReason !== undefined) return false;
    if (this.#window === undefined) return true;
    const now = this.clock.now();
    if (this.#window.isOpen(now)) return true;
    this.pauseFor(outsideWindowDetail(this.#window, now));
    return false;
  }

  /** Whether a new node may start, the run's controls allowing (`canStartStep`): the window, and the canary. */
  nodeMayStart(nodeId: string, workflowStepId: string, canStartStep: boolean): boolean {
    if (!canStartStep || !this.windowOpen()) return false;
    const n = this.plan.stopAfterNodes;
    if (n === undefined || this.resume?.isNodeCompleted(workflowStepId, nodeId)) return true;
    if (this.#nodesStarted >= n && !this.approved(CANARY_APPROVAL_STEP_ID)) {
      const canary = approvalSteps(this.plan).find((s) => s.stepId === CANARY_APPROVAL_STEP_ID)!;
      this.pauseFor(awaitingApprovalDetail(this.jobId, CANARY_APPROVAL_STEP_ID, canary.message));
      return false;
    }
    return true;
  }

  /** Whether approval step `stepId` was recorded (by `recordApproval`) before this run. */
  approved(stepId: string): boolean {
    return this.resume?.isCompleted(stepId) ?? false;
  }
}
