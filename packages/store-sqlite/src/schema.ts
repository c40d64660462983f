/**
 * Row types of the SQLite schema, as Kysely sees them. Every timestamp column
 * holds an ISO-8601 UTC string (`2026-01-01T00:00:00.000Z`); every JSON column
 * holds JSON text (checked with `json_valid`). See the package README for the
 * meaning of each table and example queries.
 */

import type { Generated } from 'kysely';

/** `jobs`: one row per job: who started it on which cluster, and its current state. */
export interface JobsTable {
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
  /** A pending control request: `pause`, `cancel` or NULL. */
  control: string | null;
  /** JSON `ErrorDetail` of the failure, or NULL. */
  error: string | null;
  /** The fencing token of the most recent lease (0: never leased). */
  fencing_token: number;
  /** ISO-8601. */
  created_at: string;
  /**
   * ISO-8601: the last write of this row (creation, state change, control
   * request, or a transition without events).
   */
  updated_at: string;
  /**
   * `events.seq` high-water mark when `updated_at` was written: a later event of
   * the job is more recent activity (transitions that append events do not
   * rewrite this row; `JobRecord.updatedAt` is the later of the two).
   */
  updated_seq: number;
}

/** `job_plans`: the immutable part of a job, written once at creation. */
export interface JobPlansTable {
  job_id: string;
  /** The workflow YAML exactly as given. */
  workflow_text: string;
  /** JSON `JobPlan` (with its inventory snapshot). */
  plan: string;
}

/** `steps`: one row per step that was ever started; absent means `pending`. */
export interface StepsTable {
  job_id: string;
  step_id: string;
  node_id: string | null;
  /** `pending`, `running`, `succeeded`, `failed` or `skipped`. */
  state: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  /** `started_at` as ms since epoch (generated, stored: fast to load). */
  started_ms: Generated<number | null>;
  /** `finished_at` as ms since epoch (generated, stored). */
  finished_ms: Generated<number | null>;
  /** JSON `ErrorDetail`, or NULL. */
  last_error: string | null;
  /** JSON result of the task, or NULL (none). */
  result: string | null;
}

/** `leases`: who may write a job's records right now. */
export interface LeasesTable {
  job_id: string;
  holder: string;
  /** Equal to `jobs.fencing_token` of the job. */
  token: number;
  acquired_at: string;
  renewed_at: string;
  expires_at: string;
}

/** `events`: the append-only event log. */
export interface EventsTable {
  /** Increasing per database. */
  seq: Generated<number>;
  job_id: string;
  at: string;
  type: string;
  step_id: string | null;
  /** JSON object. */
  data: string;
}

/** The whole schema, for `Kysely<StoreSchema>`. */
export interface StoreSchema {
  jobs: JobsTable;
  job_plans: JobPlansTable;
  steps: StepsTable;
  leases: LeasesTable;
  events: EventsTable;
}
