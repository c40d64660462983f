import type { ErrorDetail } from '../errors/error-detail.js';
import type { JobState } from '../store/job-store.js';
import type { ConditionPollInfo } from './wait-for-condition.js';

/**
 * How a run of a job ended. `interrupted`: the engine stopped because the
 * store could not record a transition (`StoreUnavailableError`) or another
 * runner took the job over (`StaleFencingTokenError`); the stored job is left
 * as it was (usually `running`) and can be resumed once the lease expires.
 */
export type JobOutcomeState = 'succeeded' | 'failed' | 'paused' | 'cancelled' | 'interrupted';

/** A step that failed in this run. */
export interface FailedStep {
  stepId: string;
  /** Absent for cluster steps. */
  nodeId?: string;
  /** The task's YAML tag. */
  task: string;
  error: ErrorDetail;
}

/** What `JobHandle.done` resolves to. It never rejects. */
export interface JobOutcome {
  jobId: string;
  state: JobOutcomeState;
  /** Why it failed, was cancelled or interrupted. */
  error?: ErrorDetail;
  /** Nodes with a failed step, in the order they failed. */
  failedNodes: string[];
  /** Every step that failed in this run, in the order they failed. */
  failedSteps: FailedStep[];
  /** Steps that succeeded in this run (skipped ones from earlier runs not counted). */
  stepsSucceeded: number;
}

/** Fields on every engine event. */
export interface EngineEventBase {
  jobId: string;
  /** Clock time, ms since epoch. */
  at: number;
}

/** `job`: the job changed state (also emitted once when a run ends `interrupted`). */
export interface JobEvent extends EngineEventBase {
  state: JobState | 'interrupted';
  cluster: string;
  operator: string;
  workflowName: string;
  /** `started` / `resumed` for the first event of a run. */
  reason?: 'started' | 'resumed' | 'finished' | 'paused' | 'cancelled' | 'interrupted';
  error?: ErrorDetail;
  failedNodes?: string[];
  failedSteps?: FailedStep[];
}

/** `step`: a step started (`running`), succeeded, failed, or was found done and skipped. */
export interface StepEvent extends EngineEventBase {
  stepId: string;
  nodeId?: string;
  task: string;
  state: 'running' | 'succeeded' | 'failed';
  /** The attempt this event concerns (1-based, continues across resumes). */
  attempt: number;
  error?: ErrorDetail;
  /** Time from the step's first attempt in this run to now, ms (on `succeeded`/`failed`). */
  durationMs?: number;
}

/** `attempt`: an attempt of a step begins (preconditions, then execute). */
export interface AttemptEvent extends EngineEventBase {
  stepId: string;
  nodeId?: string;
  task: string;
  attempt: number;
}

/** `retry`: an attempt failed with a recoverable error; the next starts after `delayMs`. */
export interface RetryEvent extends EngineEventBase {
  stepId: string;
  nodeId?: string;
  task: string;
  /** The attempt that failed. */
  attempt: number;
  /** Delay before the next attempt, ms. */
  delayMs: number;
  error: ErrorDetail;
}

/** `condition-poll`: one poll of a precondition or of `!wait-for-conditions`. */
export interface ConditionPollEvent extends EngineEventBase, ConditionPollInfo {
  stepId: string;
  nodeId?: string;
  task: string;
}

/** Log levels of `log` events. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** `log`: a line from a task's or condition's `ctx.logger`, or from the engine itself. */
export interface LogEvent {
  /** Absent for engine-wide lines not tied to a job. */
  jobId?: string;
  at: number;
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
  stepId?: string;
  nodeId?: string;
}

/** `notification`: activity of a notifier (sent, retrying, given up). URLs are redacted. */
export interface NotificationEvent extends EngineEventBase {
  /** `discord`, `slack` or `webhook`. */
  channel: string;
  /** The webhook URL, redacted (scheme, host and a hint only). */
  target: string;
  status: 'sent' | 'retrying' | 'failed';
  /** Delivery attempt, 1-based. */
  attempt: number;
  /** The job state that triggered it. */
  trigger: string;
  httpStatus?: number;
  /** Delay before the next try, ms (status `retrying`). */
  delayMs?: number;
  error?: string;
}

/** The engine's typed events (eventemitter3): `engine.on('step', (e) => ...)`. */
export interface EngineEvents {
  job: (event: JobEvent) => void;
  step: (event: StepEvent) => void;
  attempt: (event: AttemptEvent) => void;
  retry: (event: RetryEvent) => void;
  'condition-poll': (event: ConditionPollEvent) => void;
  log: (event: LogEvent) => void;
  notification: (event: NotificationEvent) => void;
}
