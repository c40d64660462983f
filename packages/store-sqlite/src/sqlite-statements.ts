import type Database from 'better-sqlite3';
import { ACTIVE_SQL_LIST, COMPLETED_SQL_LIST } from '@scylla-cp/store-sql';

type Statement = Database.Statement;

/** The prepared better-sqlite3 statements of the store's write path and hot reads. */
export interface SqliteStatements {
  /** `(jobId)` → the job's plan JSON (plucked). */
  selPlan: Statement;
  /** `(jobId)` → a `JobRow`. */
  selJob: Statement;
  /** `(jobId)` → every step as one JSON array of `StepTuple`s (plucked). */
  selSteps: Statement;
  /** `(jobId)` → the steps not completed, as one JSON array of `StepTuple`s (plucked). */
  selOpenSteps: Statement;
  /** `(jobId)` → `{ n, ids }`: the completed step ids joined by U+001E. */
  selCompletedIds: Statement;
  /** `(jobId)` → `{ state, cluster, allow_concurrent, fencing_token, control }`. */
  selJobForCommit: Statement;
  /** `(jobId)` → `{ fencing_token, state, control }`. */
  selTokenState: Statement;
  /** `(planJson, jobId)`: replaces the plan. */
  updPlan: Statement;
  /** `(jobId)`: a new plan revision. */
  bumpPlanRev: Statement;
  /** `(cluster, exceptJobId)` → the newest other active job `{ id, operator, state }`. */
  selActiveOnCluster: Statement;
  /** `(jobId)` → 1 when the job exists (plucked). */
  selJobExists: Statement;
  /** `(id, cluster, operator, workflowName, allowConcurrent, createdAt, updatedAt)`. */
  insJob: Statement;
  /** `(jobId, workflowText, planJson)`. */
  insPlan: Statement;
  /** `(jobId)` → `{ holder, token, expires_at }`. */
  selLease: Statement;
  /** `(token, jobId)`. */
  updToken: Statement;
  /** `(jobId, holder, token, acquiredAt, renewedAt, expiresAt)`. */
  upsLease: Statement;
  /** `(renewedAt, expiresAt, jobId, token)`. */
  updLeaseExpiry: Statement;
  /** `(jobId, token)`. */
  delLease: Statement;
  /** Named: `@id, @state, @setError, @error, @clearControl, @at`. */
  updJobState: Statement;
  /** `(at, jobId)`: rewrites `updated_at` only. */
  touch: Statement;
  /** `(jobId, stepId, nodeId, state, attempts, startedAt, finishedAt, lastError, result, setError)`; a stored `started_at` is kept (the first attempt's). */
  upsStep: Statement;
  /** `(jobId, at, type, stepId, data)`. */
  insEvent: Statement;
  /** `(action, at, jobId)`. */
  updControl: Statement;
}

/** Prepares the store's statements on `s` (the schema must be migrated). */
export function prepareSqliteStatements(s: Database.Database): SqliteStatements {
  // Steps come back as one JSON array built by SQLite: parsing it costs less than
  // materializing a large result row by row through the native binding.
  const stepsJson = (where: string): string =>
    `SELECT json_group_array(json_array(step_id, node_id, state, attempts, started_ms, finished_ms, json(last_error),
       iif(result IS NULL, NULL, json_array(json(result)))))
     FROM steps WHERE ${where}`;
  return {
    selJobForCommit: s.prepare('SELECT state, cluster, allow_concurrent, fencing_token, control FROM jobs WHERE id = ?'),
    selTokenState: s.prepare('SELECT fencing_token, state, control FROM jobs WHERE id = ?'),
    updPlan: s.prepare('UPDATE job_plans SET plan = ? WHERE job_id = ?'),
    bumpPlanRev: s.prepare('UPDATE jobs SET plan_rev = plan_rev + 1 WHERE id = ?'),
    selActiveOnCluster: s.prepare(
      `SELECT id, operator, state FROM jobs WHERE cluster = ? AND id <> ? AND state IN ${ACTIVE_SQL_LIST} ORDER BY rowid DESC LIMIT 1`,
    ),
    selJobExists: s.prepare('SELECT 1 FROM jobs WHERE id = ?').pluck(),
    insJob: s.prepare(
      `INSERT INTO jobs (id, cluster, operator, workflow_name, state, allow_concurrent, fencing_token, created_at, updated_at, updated_seq)
       VALUES (?, ?, ?, ?, 'pending', ?, 0, ?, ?, coalesce((SELECT max(seq) FROM events), 0))`,
    ),
    insPlan: s.prepare('INSERT INTO job_plans (job_id, workflow_text, plan) VALUES (?, ?, ?)'),
    selJob: s.prepare(
      `SELECT j.id, j.cluster, j.operator, j.workflow_name, j.state, j.allow_concurrent, j.control, j.error,
         j.fencing_token, j.plan_rev, j.created_at, j.updated_at, p.workflow_text,
         (SELECT e.at FROM events e WHERE e.job_id = j.id AND e.seq > j.updated_seq ORDER BY e.seq DESC LIMIT 1) AS last_event_at
       FROM jobs j JOIN job_plans p ON p.job_id = j.id WHERE j.id = ?`,
    ),
    selSteps: s.prepare(stepsJson('job_id = ?')).pluck(),
    selOpenSteps: s.prepare(stepsJson(`job_id = ? AND state NOT IN ${COMPLETED_SQL_LIST}`)).pluck(),
    selCompletedIds: s.prepare(
      `SELECT count(*) AS n, coalesce(group_concat(step_id, char(30)), '') AS ids FROM steps WHERE job_id = ? AND state IN ${COMPLETED_SQL_LIST}`,
    ),
    selPlan: s.prepare('SELECT plan FROM job_plans WHERE job_id = ?').pluck(),
    selLease: s.prepare('SELECT holder, token, expires_at FROM leases WHERE job_id = ?'),
    updToken: s.prepare('UPDATE jobs SET fencing_token = ? WHERE id = ?'),
    upsLease: s.prepare(
      `INSERT INTO leases (job_id, holder, token, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET holder = excluded.holder, token = excluded.token,
         acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
    ),
    updLeaseExpiry: s.prepare('UPDATE leases SET renewed_at = ?, expires_at = ? WHERE job_id = ? AND token = ?'),
    delLease: s.prepare('DELETE FROM leases WHERE job_id = ? AND token = ?'),
    updJobState: s.prepare(
      `UPDATE jobs SET state = @state,
         error = CASE WHEN @setError THEN @error ELSE error END,
         control = CASE WHEN @clearControl THEN NULL ELSE control END,
         updated_at = @at,
         updated_seq = coalesce((SELECT max(seq) FROM events), 0)
       WHERE id = @id`,
    ),
    touch: s.prepare('UPDATE jobs SET updated_at = ?, updated_seq = coalesce((SELECT max(seq) FROM events), 0) WHERE id = ?'),
    upsStep: s.prepare(
      // Positional parameters (binding an object by name costs more per call).
      `INSERT INTO steps (job_id, step_id, node_id, state, attempts, started_at, finished_at, last_error, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, step_id) DO UPDATE SET
         node_id = coalesce(excluded.node_id, node_id),
         state = excluded.state,
         attempts = excluded.attempts,
         started_at = coalesce(started_at, excluded.started_at),
         finished_at = coalesce(excluded.finished_at, finished_at),
         last_error = CASE WHEN ? THEN excluded.last_error ELSE last_error END,
         result = coalesce(excluded.result, result)`,
    ),
    insEvent: s.prepare('INSERT INTO events (job_id, at, type, step_id, data) VALUES (?, ?, ?, ?, ?)'),
    updControl: s.prepare('UPDATE jobs SET control = ?, updated_at = ?, updated_seq = coalesce((SELECT max(seq) FROM events), 0) WHERE id = ?'),
  };
}
