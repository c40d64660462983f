/**
 * Row types of the job-store schema, as Kysely sees them: the same five tables
 * in every SQL store (SQLite, PostgreSQL). `Time` is how a timestamp column
 * reads back: ISO-8601 UTC text in SQLite (`2026-01-01T00:00:00.000Z`), ms
 * since epoch in PostgreSQL (`timestamptz`, parsed by the store). Every JSON
 * column reads back as JSON text. See the store packages' READMEs for the
 * meaning of each table and example queries.
 */

import type { Generated } from 'kysely';

/** `jobs`: one row per job: who started it on which cluster, and its current state. */
export interface JobsTable<Time = string> {
  /** The job id chosen by the engine. */
  id: string;
  /** Cluster name; the cluster lock is keyed on it. */
  cluster: string;
  operator: string;
  workflow_name: string;
  /** `pending`, `running`, `paused`, `succeeded`, `failed` or `cancelled`. */
  state: string;
  /** 1 when the job was created with `allowConcurrent`. */
  allow_concurrent: number;
  /** A pending control request: `pause`, `cancel`, `cancel-now` or NULL. */
  control: string | null;
  /** JSON `ErrorDetail` of the failure, or NULL. */
  error: string | null;
  /** The fencing token of the most recent lease (0: never leased). */
  fencing_token: number;
  /** Revision of the job's plan: 0 at creation, +1 at every re-binding commit. */
  plan_rev: number;
  /** Creation time. */
  created_at: Time;
  /**
   * The last write of this row (creation, state change, control
   * request, or a transition without events).
   */
  updated_at: Time;
  /**
   * `events.seq` high-water mark when `updated_at` was written: a later event of
   * the job is more recent activity (transitions that append events do not
   * rewrite this row; `JobRecord.updatedAt` is the later of the two).
   */
  updated_seq: number;
}

/** `job_plans`: the workflow and plan of a job, written at creation (the plan is replaced only by a re-binding commit). */
export interface JobPlansTable {
  job_id: string;
  /** The workflow YAML exactly as given. */
  workflow_text: string;
  /** JSON `JobPlan` (with its inventory snapshot). */
  plan: string;
}

/** `steps`: one row per step that was ever started; absent means `pending`. */
export interface StepsTable<Time = string> {
  job_id: string;
  step_id: string;
  node_id: string | null;
  /** `pending`, `running`, `succeeded`, `failed` or `skipped`. */
  state: string;
  attempts: number;
  /** When the first attempt started. */
  started_at: Time | null;
  finished_at: Time | null;
  /** JSON `ErrorDetail`, or NULL. */
  last_error: string | null;
  /** JSON result of the task, or NULL (none). */
  result: string | null;
}

/** `leases`: who may write a job's records right now. */
export interface LeasesTable<Time = string> {
  job_id: string;
  holder: string;
  /** Equal to `jobs.fencing_token` of the job. */
  token: number;
  acquired_at: Time;
  renewed_at: Time;
  expires_at: Time;
}

/** `events`: the append-only event log. */
export interface EventsTable<Time = string> {
  /** Increasing per database. */
  seq: Generated<number>;
  job_id: string;
  at: Time;
  type: string;
  step_id: string | null;
  /** JSON object. */
  data: string;
}

/** The tables every SQL store has, for `Kysely<SqlStoreSchema>`. */
export interface SqlStoreSchema<Time = string> {
  jobs: JobsTable<Time>;
  job_plans: JobPlansTable;
  steps: StepsTable<Time>;
  leases: LeasesTable<Time>;
  events: EventsTable<Time>;
}
