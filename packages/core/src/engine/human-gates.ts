import type { ErrorDetail } from '../errors/error-detail.js';
import { InvalidInputError } from '../errors/input-errors.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { JobStore, Lease } from '../store/job-store.js';
import type { MaintenanceWindow } from '../util/maintenance-window.js';

/** The YAML tag of core's approval task (`!approval`). */
export const APPROVAL_TAG = 'approval';

/** The step id under which the canary's approval (`--stop-after N`) is recorded. */
export const CANARY_APPROVAL_STEP_ID = 'canary';

/** `ErrorDetail.code` of a job paused until an operator approves a step. */
export const AWAITING_APPROVAL = 'AWAITING_APPROVAL';

/** `ErrorDetail.code` of a job paused because its maintenance window closed. */
export const OUTSIDE_WINDOW = 'OUTSIDE_WINDOW';

/**
 * The approval steps of `plan`: each `!approval` cluster step (by id, with its
 * message) and, with `stopAfterNodes`, the canary (`canary`).
 */
export function approvalSteps(plan: JobPlan): { stepId: string; message: string }[] {
  const out: { stepId: string; message: string }[] = [];
  for (const s of plan.steps) {
    if (s.kind !== 'cluster-task' || s.task.tag !== APPROVAL_TAG) continue;
    const message = (s.task.params as { message?: unknown } | undefined)?.message;
    out.push({ stepId: s.id, message: typeof message === 'string' ? message : 'an operator must approve before the job goes on' });
  }
  if (plan.stopAfterNodes !== undefined) {
    out.push({ stepId: CANARY_APPROVAL_STEP_ID, message: `canary: ${plan.stopAfterNodes} node(s) finished; check them, then approve the rest` });
  }
  return out;
}

/** The paused job's reason while it waits for approval of `stepId` (stored as the job's `error`). */
export function awaitingApprovalDetail(jobId: string, stepId: string, message: string): ErrorDetail {
  const how = `scylla-cp approve ${jobId}${stepId === CANARY_APPROVAL_STEP_ID ? '' : ` --step ${stepId}`}`;
  return {
    name: 'AwaitingApproval',
    code: AWAITING_APPROVAL,
    classification: 'recoverable',
    message: `waiting for approval of step ${stepId}: ${message}; approve it with: ${how}`,
    details: { stepId, approvalMessage: message, approveCommand: how },
  };
}

/** The paused job's reason when its maintenance window closed: when it opens next, in UTC and in the window's zone. */
export function outsideWindowDetail(window: MaintenanceWindow, nowMs: number): ErrorDetail {
  const next = window.nextOpen(nowMs);
  const iso = new Date(next).toISOString();
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: window.timezone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(next));
  return {
    name: 'OutsideMaintenanceWindow',
    code: OUTSIDE_WINDOW,
    classification: 'recoverable',
    message: `outside the maintenance window ${window.toString()}: no node starts until it opens again at ${iso} (${local} ${window.timezone}); resume the job then`,
    details: { window: window.schedule, timezone: window.timezone, nextOpenAt: iso, nextOpenAtMs: next },
  };
}

/** Options of {@link recordApproval}. */
export interface RecordApprovalOptions {
  /** The approval step; default: the one the paused job waits for. */
  stepId?: string;
  /** Who approves (recorded in the `job.approved` event and the step's result). */
  approver: string;
  /** Clock time, ms. */
  at: number;
}

/**
 * Records, under `lease`, that `approver` approved an approval step of a job
 * that no runner is running (paused, or failed): the step is recorded
 * `succeeded` with `{ approvedBy, approvedAt }` as its result, a
 * `job.approved` event `{ by, stepId }` is appended, and the job's pause
 * reason is cleared when it was this approval. The job stays as it was
 * (resume it to go on). Returns the step id.
 * @throws InvalidInputError `NOT_AN_APPROVAL` (no such approval step, with the ones there are), `NOTHING_TO_APPROVE`
 */
export async function recordApproval(store: JobStore, lease: Lease, jobId: string, options: RecordApprovalOptions): Promise<string> {
  const job = await store.getJob(jobId);
  const steps = approvalSteps(job.plan);
  const waiting = job.error?.code === AWAITING_APPROVAL ? (job.error.details?.stepId as string | undefined) : undefined;
  const stepId = options.stepId ?? waiting;
  if (stepId === undefined) {
    const list = steps.map((s) => s.stepId).join(', ');
    throw new InvalidInputError(`job ${jobId} is not waiting for an approval${list ? `; name one of its approval steps with --step (${list})` : ' and has no approval steps'}`, {
      code: 'NOTHING_TO_APPROVE',
      details: { jobId, approvalSteps: steps.map((s) => s.stepId) },
    });
  }
  if (!steps.some((s) => s.stepId === stepId)) {
    const list = steps.map((s) => s.stepId).join(', ');
    throw new InvalidInputError(`job ${jobId} has no approval step "${stepId}"${list ? `; its approval steps: ${list}` : ' (it has none)'}`, {
      code: 'NOT_AN_APPROVAL',
      details: { jobId, stepId, approvalSteps: steps.map((s) => s.stepId) },
    });
  }
  await store.commit(lease, {
    at: options.at,
    ...(waiting === stepId ? { job: { state: job.state, error: null } } : {}),
    steps: [{ stepId, state: 'succeeded', attempts: 1, startedAt: options.at, finishedAt: options.at, lastError: null, result: { approvedBy: options.approver, approvedAt: new Date(options.at).toISOString() } }],
    events: [{ type: 'job.approved', stepId, data: { by: options.approver, stepId } }],
  });
  return stepId;
}
