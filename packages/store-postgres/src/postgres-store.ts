import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type pg from 'pg';
import {
  ClusterLockedError,
  JobNotFoundError,
  StoreUnavailableError,
  type AcquireLeaseOptions,
  type AuditEvent,
  type ControlRequest,
  type JobPlan,
  type JobCountsByState,
  type JobQuery,
  type JobState,
  type JobRecord,
  type JobStore,
  type Lease,
  type NewJob,
  type ResumeRecords,
  type StepRecord,
  type StoredEvent,
  type Transition,
} from '@scylla-cp/core';
import {
  ACTIVE_SQL_LIST,
  COMPLETED_SQL_LIST,
  PlanCache,
  assertControlAction,
  assertCurrentToken,
  assertLeaseAvailable,
  assertNotFinal,
  assertNoControlRequest,
  commitWrites,
  duplicateJobIdError,
  isoTime,
  json,
  reacquiresClusterLock,
  selectEvents,
  countJobsByState,
  selectJobs,
  stepsFromJson,
  toJobRecord,
  toStoredEvent,
  type CommitWrites,
  type JobRow,
  type SqlStoreDb,
} from '@scylla-cp/store-sql';
import { openPostgresDatabase, type PostgresStoreSchema } from './open-postgres-database.js';
import { POSTGRES_MIGRATION_NAMES } from './postgres-migrations.js';
import { resolvePostgresStoreOptions, type PostgresStoreOptions } from './postgres-store-options.js';
import { isTransientPostgresError, translatePostgresError } from './translate-postgres-error.js';

type Db = Kysely<PostgresStoreSchema> | Transaction<PostgresStoreSchema>;

/** The step-record columns of `getSteps` as one JSON array per step (a `StepTuple`), aggregated by PostgreSQL. */
const STEP_TUPLES = sql.raw(`coalesce(json_agg(json_build_array(step_id, node_id, state, attempts,
  (extract(epoch FROM started_at) * 1000)::bigint, (extract(epoch FROM finished_at) * 1000)::bigint, last_error,
  CASE WHEN result IS NULL THEN NULL ELSE json_build_array(result) END)), '[]')::text`);

/**
 * The statements on the engine's hot path, run as named prepared statements
 * on the pool (parsed and planned once per connection): `getJob` (read before
 * every step for control requests) and a step transition's `commit_steps`.
 */
const PREPARED = {
  getJob: `SELECT j.id, j.cluster, j.operator, j.workflow_name, j.state, j.allow_concurrent, j.control, j.error,
      j.fencing_token, j.plan_rev, j.created_at, j.updated_at, p.workflow_text,
      (SELECT e.at FROM events e WHERE e.job_id = j.id AND e.seq > j.updated_seq ORDER BY e.seq DESC LIMIT 1) AS last_event_at
    FROM jobs j JOIN job_plans p ON p.job_id = j.id WHERE j.id = $1`,
  commitSteps: 'SELECT token, state, control FROM commit_steps($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7)',
} as const;

/** Newest `events.seq` of the job (0: none): the `updated_seq` of a job-row write. */
const jobEventsHighWater = (jobId: string) => sql<number>`(SELECT coalesce(max(seq), 0) FROM events WHERE job_id = ${jobId})`;

/**
 * The {@link JobStore} on PostgreSQL, for a team: any number of runners and
 * servers share one database; the cluster lock, leases and fencing tokens hold
 * across all of them. Kysely over `pg` (`PostgresDialect`); the schema is
 * created and upgraded by Kysely's `Migrator` on open, in its own PostgreSQL
 * schema (@default `scylla_cp`).
 *
 * Every write is one transaction, serialized per job by a lock on the job's
 * row; a step transition (nearly every commit) is one statement, one round
 * trip (the `commit_steps` function). Cluster-lock checks take a transaction
 * advisory lock on the cluster name, so two runners racing to start a job on
 * one cluster are serialized. When PostgreSQL restarts or a connection drops,
 * calls retry on new connections for `reconnectTimeoutMs`; each write carries
 * a key that makes a retry after an unknown outcome apply it at most once.
 *
 * Timestamps in and out are ms since epoch; in the database they are `timestamptz`.
 */
export class PostgresStore implements JobStore {
  /** Honours `Transition.unlessControlRequested` (checked in `commit_steps`, under the job's row lock). */
  readonly commitChecksControl = true;
  /** `postgres://user@host:port/database#schema` (no password). */
  readonly where: string;
  /** The PostgreSQL schema that holds the tables. */
  readonly schema: string;
  readonly #db: Kysely<PostgresStoreSchema>;
  readonly #pool: pg.Pool;
  readonly #reconnectTimeoutMs: number;
  readonly #plans = new PlanCache();
  #closed = false;

  private constructor(db: Kysely<PostgresStoreSchema>, pool: pg.Pool, where: string, schema: string, reconnectTimeoutMs: number) {
    this.#db = db;
    this.#pool = pool;
    this.where = where;
    this.schema = schema;
    this.#reconnectTimeoutMs = reconnectTimeoutMs;
  }

  /**
   * Connects, creates the schema when missing and applies pending migrations.
   * @throws PostgresSchemaTooNewError (nothing changed), StoreUnavailableError (unreachable, refused), InvalidInputError (bad option)
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const resolved = resolvePostgresStoreOptions(options);
    const where = `postgres (schema ${resolved.schema})`;
    try {
      const { db, pool, where: w } = await openPostgresDatabase(resolved);
      return new PostgresStore(db, pool, w, resolved.schema, resolved.reconnectTimeoutMs);
    } catch (error) {
      throw translatePostgresError(error, where, 'open');
    }
  }

  /** Names of the migrations this build applies, in order. */
  static readonly migrationNames: readonly string[] = POSTGRES_MIGRATION_NAMES;

  // ---------------------------------------------------------------- writes

  /**
   * Inserts a `pending` job with its plan; the cluster lock is checked in the same
   * transaction under an advisory lock on the cluster name (race-free across processes).
   * @throws ClusterLockedError, InvalidInputError (`DUPLICATE_JOB_ID`), StoreUnavailableError
   */
  async createJob(job: NewJob): Promise<JobRecord> {
    const at = isoTime(job.at);
    const planJson = json(job.plan);
    let attempt = 0;
    await this.#retry('create job', () =>
      this.#db.transaction().execute(async (trx) => {
        attempt++;
        await this.#lockCluster(trx, job.cluster);
        const existing = await sql<{ operator: string; created_at: number; workflow_name: string }>`
          SELECT operator, created_at, workflow_name FROM jobs WHERE id = ${job.id}`.execute(trx);
        const row = existing.rows[0];
        if (row !== undefined) {
          // A retry after a connection lost at COMMIT finds the job it created: done.
          if (attempt > 1 && row.operator === job.operator && row.created_at === job.at && row.workflow_name === job.workflowName) return;
          throw duplicateJobIdError(job.id, this.where);
        }
        if (!job.allowConcurrent) await this.#assertClusterFree(trx, job.cluster, job.id);
        await sql`INSERT INTO jobs (id, cluster, operator, workflow_name, state, allow_concurrent, fencing_token, created_at, updated_at, updated_seq)
          VALUES (${job.id}, ${job.cluster}, ${job.operator}, ${job.workflowName}, 'pending', ${job.allowConcurrent === true}, 0, ${at}, ${at}, 0)`.execute(trx);
        await sql`INSERT INTO job_plans (job_id, workflow_text, plan) VALUES (${job.id}, ${job.workflowText}, ${planJson})`.execute(trx);
      }),
    );
    return this.getJob(job.id);
  }

  /**
   * Takes the job's lease for `ttlMs` ms from `nowMs` (ms since epoch), incrementing its fencing token.
   * `options.takeOverFrom` takes an unexpired lease over from exactly that holder (a runner proven dead).
   * @throws LeaseHeldError while another holder's lease is unexpired, JobNotFoundError, StoreUnavailableError
   */
  async acquireLease(jobId: string, holder: string, ttlMs: number, nowMs: number, options: AcquireLeaseOptions = {}): Promise<Lease> {
    return this.#retry('acquire lease', () =>
      this.#db.transaction().execute(async (trx) => {
        const token = (await this.#lockJob(trx, jobId)).fencing_token + 1;
        const current = (await sql<{ holder: string; expires_at: number }>`SELECT holder, expires_at FROM leases WHERE job_id = ${jobId}`.execute(trx)).rows[0];
        assertLeaseAvailable(jobId, current && { holder: current.holder, expiresMs: current.expires_at }, holder, nowMs, options.takeOverFrom);
        const now = isoTime(nowMs);
        const expiresAt = nowMs + ttlMs;
        await sql`UPDATE jobs SET fencing_token = ${token} WHERE id = ${jobId}`.execute(trx);
        await this.#upsertLease(trx, jobId, holder, token, now, isoTime(expiresAt));
        return { jobId, holder, token, expiresAt };
      }),
    );
  }

  /** The job's current lease (expired ones included), or undefined when none is held. @throws JobNotFoundError */
  async getLease(jobId: string): Promise<Lease | undefined> {
    const r = await this.#retry('read a lease', async () =>
      (await sql<{ found: boolean; holder: string | null; token: number | null; expires_at: number | null }>`SELECT
          EXISTS (SELECT 1 FROM jobs WHERE id = ${jobId}) AS found, l.holder, l.token, l.expires_at
        FROM (SELECT 1) AS one LEFT JOIN leases l ON l.job_id = ${jobId}`.execute(this.#db)).rows[0]!,
    );
    if (!r.found) throw new JobNotFoundError(jobId);
    if (r.holder === null) return undefined;
    return { jobId, holder: r.holder, token: r.token!, expiresAt: r.expires_at! };
  }

  /**
   * Extends the lease to `nowMs + ttlMs` (ms).
   * @throws StaleFencingTokenError when the job was taken over, StoreUnavailableError
   */
  async renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease> {
    return this.#retry('renew lease', () =>
      this.#db.transaction().execute(async (trx) => {
        assertCurrentToken((await this.#lockJob(trx, lease.jobId)).fencing_token, lease);
        const expiresAt = nowMs + ttlMs;
        const now = isoTime(nowMs);
        const updated = await sql`UPDATE leases SET renewed_at = ${now}, expires_at = ${isoTime(expiresAt)}
          WHERE job_id = ${lease.jobId} AND token = ${lease.token}`.execute(trx);
        // Released earlier by the same holder: take it again under the same token.
        if (Number(updated.numAffectedRows ?? 0) === 0) await this.#upsertLease(trx, lease.jobId, lease.holder, lease.token, now, isoTime(expiresAt));
        return { jobId: lease.jobId, holder: lease.holder, token: lease.token, expiresAt };
      }),
    );
  }

  /** Gives the lease up (its row is deleted; the token stays). @throws StaleFencingTokenError, StoreUnavailableError */
  async releaseLease(lease: Lease): Promise<void> {
    await this.#retry('release lease', () =>
      this.#db.transaction().execute(async (trx) => {
        assertCurrentToken((await this.#lockJob(trx, lease.jobId)).fencing_token, lease);
        await sql`DELETE FROM leases WHERE job_id = ${lease.jobId} AND token = ${lease.token}`.execute(trx);
      }),
    );
  }

  /**
   * Applies one engine transition (step upserts, job state, events) as one
   * transaction, all or nothing, after checking the lease's fencing token.
   * @throws StaleFencingTokenError (nothing written), JobFinishedError (the job is `succeeded` or
   *   `cancelled`: nothing written), ClusterLockedError (a failed job retried while another job
   *   holds the cluster), StoreUnavailableError
   */
  async commit(lease: Lease, transition: Transition): Promise<void> {
    const w = commitWrites(transition);
    const key = randomUUID();
    if (w.job === undefined && w.plan === undefined) {
      await this.#retry('commit a transition', async () => {
        const job = await this.#commitSteps(this.#db, lease, w, key, transition.unlessControlRequested === true);
        if (job === undefined) throw new JobNotFoundError(lease.jobId);
        assertCurrentToken(job.token, lease);
        assertNotFinal(lease.jobId, job.state);
        assertNoControlRequest(lease.jobId, job.control, transition.unlessControlRequested);
      });
      return;
    }
    const jobWrite = w.job;
    await this.#retry('commit a transition', () =>
      this.#db.transaction().execute(async (trx) => {
        const job = await this.#lockJob(trx, lease.jobId);
        assertCurrentToken(job.fencing_token, lease);
        if (job.last_commit_key === key) return; // applied before the connection was lost
        assertNotFinal(lease.jobId, job.state);
        assertNoControlRequest(lease.jobId, job.control, transition.unlessControlRequested);
        if (jobWrite !== undefined && reacquiresClusterLock(job.state, jobWrite.state as JobState, job.allow_concurrent)) {
          await this.#lockCluster(trx, job.cluster);
          await this.#assertClusterFree(trx, job.cluster, lease.jobId);
        }
        await this.#commitSteps(trx, lease, w, key, false);
        if (w.plan !== undefined) {
          await sql`UPDATE job_plans SET plan = ${w.plan}::json WHERE job_id = ${lease.jobId}`.execute(trx);
          await sql`UPDATE jobs SET plan_rev = plan_rev + 1 WHERE id = ${lease.jobId}`.execute(trx);
        }
        if (jobWrite !== undefined) {
          await sql`UPDATE jobs SET state = ${jobWrite.state},
              error = CASE WHEN ${jobWrite.setError} THEN ${jobWrite.error}::jsonb ELSE error END,
              control = CASE WHEN ${jobWrite.clearControl} THEN NULL ELSE control END,
              updated_at = ${w.at}, updated_seq = ${jobEventsHighWater(lease.jobId)}, last_commit_key = ${key}
            WHERE id = ${lease.jobId}`.execute(trx);
        } else {
          await sql`UPDATE jobs SET last_commit_key = ${key} WHERE id = ${lease.jobId}`.execute(trx);
        }
      }),
    );
  }

  /** Records a pause or cancel request for the runner to act on; needs no lease. @throws JobNotFoundError */
  async requestControl(jobId: string, action: ControlRequest, nowMs: number): Promise<void> {
    assertControlAction(action);
    const res = await this.#retry('record a control request', () =>
      sql`UPDATE jobs SET control = ${action}, updated_at = ${isoTime(nowMs)}, updated_seq = ${jobEventsHighWater(jobId)} WHERE id = ${jobId}`.execute(this.#db),
    );
    if (Number(res.numAffectedRows ?? 0) === 0) throw new JobNotFoundError(jobId);
  }

  /**
   * Appends an audit event to the job's log (no lease; the job's state is
   * untouched) and returns it with its sequence number. Serialized with the
   * job's commits, so sequence numbers of one job grow in commit order.
   * @throws JobNotFoundError
   */
  async appendEvent(jobId: string, event: AuditEvent): Promise<StoredEvent> {
    const key = `${randomUUID()}:0`;
    const data = json(event.data ?? {});
    const seq = await this.#retry('append an event', () =>
      this.#db.transaction().execute(async (trx) => {
        await this.#lockJob(trx, jobId);
        const inserted = await sql<{ seq: number }>`INSERT INTO events (job_id, at, type, step_id, data, commit_key)
          VALUES (${jobId}, ${isoTime(event.at)}, ${event.type}, ${event.stepId ?? null}, ${data}::jsonb, ${key})
          ON CONFLICT (commit_key) DO NOTHING RETURNING seq`.execute(trx);
        if (inserted.rows[0] !== undefined) return inserted.rows[0].seq;
        return (await sql<{ seq: number }>`SELECT seq FROM events WHERE commit_key = ${key}`.execute(trx)).rows[0]!.seq;
      }),
    );
    const out: StoredEvent = { seq, jobId, at: event.at, type: event.type, data: JSON.parse(data) as Record<string, unknown> };
    if (event.stepId !== undefined) out.stepId = event.stepId;
    return out;
  }

  // ----------------------------------------------------------------- reads

  /** The job with its (cached, frozen) plan. @throws JobNotFoundError */
  async getJob(jobId: string): Promise<JobRecord> {
    const row = await this.#retry('read a job', async () => (await this.#prepared<JobRow>('getJob', [jobId]))[0]);
    if (row === undefined) throw new JobNotFoundError(jobId);
    return toJobRecord(row, await this.#plan(row.id, row.plan_rev));
  }

  /** Jobs newest first, filtered by cluster and states; `limit` @default 50. */
  async listJobs(query: JobQuery = {}): Promise<JobRecord[]> {
    const rows = await this.#retry('list jobs', () => selectJobs(this.#db as unknown as SqlStoreDb, query, sql`jobs.created_seq`));
    const out: JobRecord[] = [];
    for (const row of rows) out.push(toJobRecord(row, await this.#plan(row.id, row.plan_rev)));
    return out;
  }

  /** How many jobs are in each state (of `query.cluster`, when given): one aggregate query. */
  async countJobsByState(query: { cluster?: string } = {}): Promise<JobCountsByState> {
    return this.#retry('count jobs', () => countJobsByState(this.#db as unknown as SqlStoreDb, query));
  }

  /** Every recorded step of the job (unrecorded steps are `pending`). @throws JobNotFoundError */
  async getSteps(jobId: string): Promise<StepRecord[]> {
    const r = await this.#retry('read steps', async () =>
      (await sql<{ steps: string; found: boolean }>`SELECT (SELECT ${STEP_TUPLES} FROM steps WHERE job_id = ${jobId}) AS steps,
          EXISTS (SELECT 1 FROM jobs WHERE id = ${jobId}) AS found`.execute(this.#db)).rows[0]!,
    );
    if (!r.found) throw new JobNotFoundError(jobId);
    return stepsFromJson(jobId, r.steps);
  }

  /**
   * The job's step records as a resume reads them: completed steps by id only,
   * the others in full, read in one statement (one snapshot).
   * @throws JobNotFoundError
   */
  async getResumeRecords(jobId: string): Promise<ResumeRecords> {
    const r = await this.#retry('read steps', async () =>
      (await sql<{ done: string; open: string; found: boolean }>`SELECT
          (SELECT coalesce(json_agg(step_id), '[]')::text FROM steps WHERE job_id = ${jobId} AND state IN ${sql.raw(COMPLETED_SQL_LIST)}) AS done,
          (SELECT ${STEP_TUPLES} FROM steps WHERE job_id = ${jobId} AND state NOT IN ${sql.raw(COMPLETED_SQL_LIST)}) AS open,
          EXISTS (SELECT 1 FROM jobs WHERE id = ${jobId}) AS found`.execute(this.#db)).rows[0]!,
    );
    if (!r.found) throw new JobNotFoundError(jobId);
    return { completedStepIds: JSON.parse(r.done) as string[], openRecords: stepsFromJson(jobId, r.open) };
  }

  /** The job's events in sequence order, after `afterSeq` (exclusive), at most `limit` (@default all). @throws JobNotFoundError */
  async listEvents(jobId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    const rows = await this.#retry('read events', () => selectEvents(this.#db as unknown as SqlStoreDb, jobId, query));
    if (rows.length === 0) await this.#assertJobExists(jobId);
    return rows.map(toStoredEvent);
  }

  /** Closes the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }

  // ------------------------------------------------------------ internals

  /** Revision `rev` of a job's plan, parsed once and deep-frozen (see `PlanCache`). */
  async #plan(jobId: string, rev: number): Promise<JobPlan> {
    const cached = this.#plans.get(jobId, rev);
    if (cached !== undefined) return cached;
    const row = await this.#retry('read a job', async () =>
      (await sql<{ plan: string; plan_rev: number }>`SELECT p.plan, j.plan_rev FROM job_plans p JOIN jobs j ON j.id = p.job_id
        WHERE p.job_id = ${jobId}`.execute(this.#db)).rows[0],
    );
    if (row === undefined) throw new JobNotFoundError(jobId);
    return this.#plans.put(jobId, row.plan_rev, row.plan);
  }

  async #assertJobExists(jobId: string): Promise<void> {
    const found = await this.#retry('read a job', async () => (await sql`SELECT 1 FROM jobs WHERE id = ${jobId}`.execute(this.#db)).rows.length > 0);
    if (!found) throw new JobNotFoundError(jobId);
  }

  /** Locks the job's row for the rest of the transaction (serializing writes of one job) and reads it. */
  async #lockJob(
    trx: Db,
    jobId: string,
  ): Promise<{ state: string; cluster: string; allow_concurrent: boolean; fencing_token: number; last_commit_key: string | null; control: string | null }> {
    const res = await sql<{ state: string; cluster: string; allow_concurrent: boolean; fencing_token: number; last_commit_key: string | null; control: string | null }>`
      SELECT state, cluster, allow_concurrent, fencing_token, last_commit_key, control FROM jobs WHERE id = ${jobId} FOR UPDATE`.execute(trx);
    const row = res.rows[0];
    if (row === undefined) throw new JobNotFoundError(jobId);
    return row;
  }

  /** Serializes, until the transaction ends, every cluster-lock decision about `cluster`. */
  async #lockCluster(trx: Db, cluster: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`scylla-cp:${this.schema}`}), hashtext(${cluster}))`.execute(trx);
  }

  async #assertClusterFree(trx: Db, cluster: string, exceptJobId: string): Promise<void> {
    const holder = (
      await sql<{ id: string; operator: string; state: string }>`SELECT id, operator, state FROM jobs
        WHERE cluster = ${cluster} AND id <> ${exceptJobId} AND state IN ${sql.raw(ACTIVE_SQL_LIST)}
        ORDER BY created_seq DESC LIMIT 1`.execute(trx)
    ).rows[0];
    if (holder !== undefined) throw new ClusterLockedError(cluster, holder.id, holder.operator, holder.state);
  }

  async #upsertLease(trx: Db, jobId: string, holder: string, token: number, now: string, expiresAt: string): Promise<void> {
    await sql`INSERT INTO leases (job_id, holder, token, acquired_at, renewed_at, expires_at)
      VALUES (${jobId}, ${holder}, ${token}, ${now}, ${now}, ${expiresAt})
      ON CONFLICT (job_id) DO UPDATE SET holder = excluded.holder, token = excluded.token,
        acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`.execute(trx);
  }

  /** Runs `commit_steps` (see the migration): the job's current token and state, or undefined when there is no such job. */
  async #commitSteps(db: Db, lease: Lease, w: CommitWrites, key: string, unlessControl: boolean): Promise<{ token: number; state: string; control: string | null } | undefined> {
    const steps = json(
      w.steps.map((s) => ({
        step_id: s.stepId,
        node_id: s.nodeId,
        state: s.state,
        attempts: s.attempts,
        started_at: s.startedAt,
        finished_at: s.finishedAt,
        last_error: s.lastError,
        set_error: s.setError,
        result: s.result,
      })),
    );
    const events = json(w.events.map((e, i) => ({ i, type: e.type, step_id: e.stepId, data: e.data })));
    if (db === this.#db) {
      return (await this.#prepared<{ token: number; state: string; control: string | null }>('commitSteps', [lease.jobId, lease.token, w.at, steps, events, key, unlessControl]))[0];
    }
    const res = await sql<{ token: number; state: string; control: string | null }>`SELECT token, state, control
      FROM commit_steps(${lease.jobId}, ${lease.token}, ${w.at}, ${steps}::jsonb, ${events}::jsonb, ${key}, ${unlessControl})`.execute(db);
    return res.rows[0];
  }

  /** Runs one of the {@link PREPARED} statements on the pool. */
  async #prepared<R extends object>(name: keyof typeof PREPARED, values: unknown[]): Promise<R[]> {
    const client = await this.#pool.connect();
    try {
      const res = await client.query<R>({ name: `scylla_cp_${name}`, text: PREPARED[name], values });
      client.release();
      return res.rows;
    } catch (error) {
      client.release(error instanceof Error ? error : true); // a failed connection is not reused
      throw error;
    }
  }

  /**
   * Runs `fn`, retrying on a new connection while PostgreSQL cannot be reached,
   * for at most `reconnectTimeoutMs`; translates what finally fails.
   */
  async #retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError(`job store ${this.where}: cannot ${what}, the store is closed`);
    const started = performance.now();
    let delayMs = 25;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        const elapsed = performance.now() - started;
        if (!isTransientPostgresError(error) || this.#closed || elapsed >= this.#reconnectTimeoutMs) {
          throw translatePostgresError(error, this.where, what, isTransientPostgresError(error) ? Math.round(elapsed) : undefined);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, Math.max(1, this.#reconnectTimeoutMs - elapsed))));
        delayMs = Math.min(delayMs * 2, 1_000);
      }
    }
  }
}

