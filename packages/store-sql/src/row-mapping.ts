import type { ControlRequest, ErrorDetail, JobPlan, JobRecord, JobState, StepRecord, StepState, StoredEvent } from '@scylla-cp/core';

/** A timestamp as a SQL driver returns it: ISO-8601 text (SQLite), ms since epoch, or a `Date`. */
export type SqlTime = string | number | Date;

/** ms since epoch of a timestamp column value. */
export function msOf(time: SqlTime): number {
  if (typeof time === 'number') return time;
  if (typeof time === 'string') return Date.parse(time);
  return time.getTime();
}

/** JSON text of a value, as the stores write it. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** A `jobs` row joined with its workflow text, as `getJob` and `listJobs` read it. */
export interface JobRow {
  id: string;
  cluster: string;
  operator: string;
  workflow_name: string;
  state: string;
  /** 0/1 (SQLite) or a boolean (PostgreSQL). */
  allow_concurrent: number | boolean;
  control: string | null;
  /** JSON text of an `ErrorDetail`, or NULL. */
  error: string | null;
  fencing_token: number;
  /** See `JobsTable.plan_rev`. */
  plan_rev: number;
  created_at: SqlTime;
  updated_at: SqlTime;
  workflow_text: string;
  /** The newest event of the job written after the row's `updated_at`, if any. */
  last_event_at: SqlTime | null;
}

/** A job row and its (shared, frozen) plan as a `JobRecord`. `updatedAt` is the later of the row's and its newest event's time. */
export function toJobRecord(row: JobRow, plan: JobPlan): JobRecord {
  const record: JobRecord = {
    id: row.id,
    cluster: row.cluster,
    operator: row.operator,
    workflowName: row.workflow_name,
    workflowText: row.workflow_text,
    plan,
    state: row.state as JobState,
    createdAt: msOf(row.created_at),
    updatedAt: msOf(row.last_event_at ?? row.updated_at),
    fencingToken: Number(row.fencing_token),
  };
  if (row.error !== null) record.error = JSON.parse(row.error) as ErrorDetail;
  if (row.control !== null) record.control = row.control as ControlRequest;
  return record;
}

/** An `events` row (JSON `data` as text). */
export interface EventRow {
  seq: number;
  job_id: string;
  at: SqlTime;
  type: string;
  step_id: string | null;
  data: string;
}

/** An `events` row as a `StoredEvent`. */
export function toStoredEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    seq: Number(row.seq),
    jobId: row.job_id,
    at: msOf(row.at),
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
  if (row.step_id !== null) event.stepId = row.step_id;
  return event;
}

/**
 * A step as the stores read many at once: one JSON array per step, built by the
 * database (`json_group_array` / `json_agg`), parsed with one `JSON.parse`:
 * `[stepId, nodeId, state, attempts, startedMs, finishedMs, lastError, [result] | null]`.
 * The result is wrapped so that a JSON `null` result differs from none.
 */
export type StepTuple = [string, string | null, StepState, number, number | null, number | null, ErrorDetail | null, [unknown] | null];

/** Step tuples ({@link StepTuple}) as JSON text, to records of job `jobId`. */
export function stepsFromJson(jobId: string, text: string): StepRecord[] {
  const rows = JSON.parse(text) as StepTuple[];
  const out: StepRecord[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const record: StepRecord = { jobId, stepId: r[0], state: r[2], attempts: r[3] };
    if (r[1] !== null) record.nodeId = r[1];
    if (r[4] !== null) record.startedAt = r[4];
    if (r[5] !== null) record.finishedAt = r[5];
    if (r[6] !== null) record.lastError = r[6];
    if (r[7] !== null) record.result = r[7][0];
    out[i] = record;
  }
  return out;
}
