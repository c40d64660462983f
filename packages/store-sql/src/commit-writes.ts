import type { Transition } from '@scylla-cp/core';
import { isoTime } from './iso-time.js';
import { json } from './row-mapping.js';

/** One step upsert of a transition, as column values (times ISO-8601, JSON as text). */
export interface StepWrite {
  stepId: string;
  nodeId: string | null;
  state: string;
  attempts: number;
  /** Kept when the row already has one: `started_at` is the first attempt's time. */
  startedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
  /** Whether `lastError` replaces the stored one (`lastError` given, `null` included). */
  setError: boolean;
  result: string | null;
}

/** One event row of a transition. */
export interface EventWrite {
  type: string;
  stepId: string | null;
  data: string;
}

/** The job-row change of a transition. */
export interface JobWrite {
  state: string;
  /** Whether `error` replaces the stored one. */
  setError: boolean;
  error: string | null;
  clearControl: boolean;
}

/** Every row a transition writes, in the form both SQL stores bind. */
export interface CommitWrites {
  /** The transition's time, ISO-8601. */
  at: string;
  steps: StepWrite[];
  events: EventWrite[];
  job: JobWrite | undefined;
  /** The replacement plan (JSON), when the transition re-binds it. */
  plan: string | undefined;
  /**
   * Whether the job row's `updated_at` must be rewritten without a state
   * change: the transition has neither a job change nor an event to record
   * its time (an event row already says when a step transition happened).
   */
  touch: boolean;
}

/** What a transition writes (pure: no I/O). The stores apply it in one transaction. */
export function commitWrites(t: Transition): CommitWrites {
  const steps: StepWrite[] = [];
  for (const s of t.steps ?? []) {
    steps.push({
      stepId: s.stepId,
      nodeId: s.nodeId ?? null,
      state: s.state,
      attempts: s.attempts,
      startedAt: s.startedAt === undefined ? null : isoTime(s.startedAt),
      finishedAt: s.finishedAt === undefined ? null : isoTime(s.finishedAt),
      lastError: s.lastError === undefined || s.lastError === null ? null : json(s.lastError),
      setError: s.lastError !== undefined,
      result: s.result === undefined ? null : json(s.result),
    });
  }
  const events: EventWrite[] = (t.events ?? []).map((e) => ({ type: e.type, stepId: e.stepId ?? null, data: json(e.data ?? {}) }));
  const job: JobWrite | undefined =
    t.job === undefined
      ? undefined
      : {
          state: t.job.state,
          setError: t.job.error !== undefined,
          error: t.job.error === undefined || t.job.error === null ? null : json(t.job.error),
          clearControl: t.job.clearControl === true,
        };
  return {
    at: isoTime(t.at),
    steps,
    events,
    job,
    plan: t.plan === undefined ? undefined : json(t.plan),
    touch: job === undefined && events.length === 0,
  };
}
