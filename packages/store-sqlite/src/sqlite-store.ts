import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import {
  ClusterLockedError,
  JobNotFoundError,
  StoreUnavailableError,
  toResumeRecords,
  type AcquireLeaseOptions,
  type AuditEvent,
  type ControlRequest,
  type JobPlan,
  type JobCountsByState,
  type JobQuery,
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
  msOf,
  reacquiresClusterLock,
  selectEvents,
  countJobsByState,
  selectJobs,
  stepsFromJson,
  toJobRecord,
  toStoredEvent,
  type JobRow,
  type SqlStoreDb,
} from '@scylla-cp/store-sql';
import { SCHEMA_VERSION } from './migrations.js';
import { openSqliteDatabase } from './open-sqlite-database.js';
import type { StoreSchema } from './schema.js';
import { prepareSqliteStatements, type SqliteStatements } from './sqlite-statements.js';
import { resolveSqliteStoreOptions, type SqliteStoreOptions, type SqliteStoreSettings } from './sqlite-store-options.js';
import { translateSqliteError } from './translate-sqlite-error.js';

interface CommitJobRow {
  state: string;
  control: string | null;
  cluster: string;
  allow_concurrent: number;
  fencing_token: number;
}

interface LeaseRow {
  holder: string;
  token: number;
  expires_at: string;
}

/** Separator of the completed ids in `getResumeRecords` (ASCII record separator; an id containing it takes the slower path). */
const RS = '\u001e';

/**
 * The durable {@link JobStore}: one SQLite file (WAL mode, `synchronous=FULL`
 * by default), readable with the `sqlite3` shell. Open it with
 * {@link SqliteStore.open}; one instance per process and file is enough, and
 * several processes may open the same file (writes are serialized by SQLite;
 * the cluster lock and leases hold across processes).
 *
 * The schema (tables `jobs`, `job_plans`, `steps`, `leases`, `events`) is
 * created and upgraded by Kysely's `Migrator` on open; `listJobs` and
 * `listEvents` are Kysely queries; every write is one synchronous
 * `BEGIN IMMEDIATE` transaction of prepared better-sqlite3 statements, and so
 * are the engine's hot reads `getJob` and `getResumeRecords` (see the README for why).
 *
 * Timestamps in and out are ms since epoch; in the file they are ISO-8601 text.
 */
export class SqliteStore implements JobStore {
  /** Honours `Transition.unlessControlRequested` (checked in the commit's transaction). */
  readonly commitChecksControl = true;
  /** The file path given to {@link SqliteStore.open} (`:memory:` for an in-memory store). */
  readonly path: string;
  readonly #sqlite: Database.Database;
  readonly #db: Kysely<StoreSchema>;
  readonly #inode: number | undefined;
  /** `path` made absolute at open (a later `process.chdir` must not look like a vanished file). */
  readonly #absPath: string;
  #closed = false;
  readonly #plans = new PlanCache();
  readonly #st: SqliteStatements;

  readonly #createTx: (job: NewJob) => void;
  readonly #acquireTx: (jobId: string, holder: string, ttlMs: number, nowMs: number, takeOverFrom: string | undefined) => Lease;
  readonly #renewTx: (lease: Lease, ttlMs: number, nowMs: number) => Lease;
  readonly #releaseTx: (lease: Lease) => void;
  readonly #commitTx: (lease: Lease, t: Transition) => void;
  readonly #resumeReadTx: (jobId: string) => ResumeRecords | undefined;
  readonly #appendTx: (jobId: string, event: AuditEvent) => number | undefined;

  private constructor(filePath: string, sqlite: Database.Database, db: Kysely<StoreSchema>) {
    this.path = filePath;
    this.#sqlite = sqlite;
    this.#db = db;
    this.#absPath = path.resolve(filePath);
    this.#inode = filePath === ':memory:' || filePath === '' ? undefined : fs.statSync(this.#absPath).ino;
    this.#st = prepareSqliteStatements(sqlite);
    const s = sqlite;
    this.#createTx = s.transaction((job: NewJob) => this.#create(job)).immediate;
    this.#acquireTx = s.transaction((jobId: string, holder: string, ttlMs: number, nowMs: number, takeOverFrom: string | undefined) =>
      this.#acquire(jobId, holder, ttlMs, nowMs, takeOverFrom),
    ).immediate;
    this.#renewTx = s.transaction((lease: Lease, ttlMs: number, nowMs: number) => this.#renew(lease, ttlMs, nowMs)).immediate;
    this.#releaseTx = s.transaction((lease: Lease) => this.#release(lease)).immediate;
    this.#commitTx = s.transaction((lease: Lease, t: Transition) => this.#commit(lease, t)).immediate;
    this.#resumeReadTx = s.transaction((jobId: string) => this.#resumeRead(jobId)).deferred;
    this.#appendTx = s.transaction((jobId: string, e: AuditEvent) => {
      if (this.#st.selJobExists.get(jobId) === undefined) return undefined;
      return Number(this.#st.insEvent.run(jobId, isoTime(e.at), e.type, e.stepId ?? null, json(e.data ?? {})).lastInsertRowid);
    }).immediate;
  }

  /**
   * Opens (creating if needed) the job database at `filePath`, or an in-memory
   * one for `':memory:'`. Sets WAL mode, `synchronous`, `busy_timeout` and
   * `foreign_keys=ON`, then runs pending schema migrations.
   *
   * Before anything is written it checks the file: a file that is not a
   * SQLite database fails with {@link NotAStoreDatabaseError}, one whose schema
   * is newer than this build with {@link SchemaTooNewError}; in both cases the
   * file is left byte-for-byte unchanged. Other failures to open (unreadable
   * file, missing directory) throw `StoreUnavailableError`.
   */
  static async open(filePath: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const { sqlite, db } = await openSqliteDatabase(filePath, resolveSqliteStoreOptions(options));
    return new SqliteStore(filePath, sqlite, db);
  }

  /** The schema version of this build (`PRAGMA user_version` of a current file). */
  static readonly schemaVersion: number = SCHEMA_VERSION;

  // ---------------------------------------------------------------- writes

  /**
   * Inserts a `pending` job with its plan, checking the cluster lock in the same
   * `BEGIN IMMEDIATE` transaction (race-free across processes).
   * @throws ClusterLockedError, InvalidInputError (`DUPLICATE_JOB_ID`), StoreUnavailableError
   */
  async createJob(job: NewJob): Promise<JobRecord> {
    this.#run('create job', () => this.#createTx(job));
    return this.getJob(job.id);
  }

  /**
   * Takes the job's lease for `ttlMs` ms from `nowMs` (ms since epoch), incrementing its fencing token.
   * `options.takeOverFrom` takes an unexpired lease over from exactly that holder (a runner proven dead).
   * @throws LeaseHeldError while another holder's lease is unexpired, JobNotFoundError, StoreUnavailableError
   */
  async acquireLease(jobId: string, holder: string, ttlMs: number, nowMs: number, options: AcquireLeaseOptions = {}): Promise<Lease> {
    return this.#run('acquire lease', () => this.#acquireTx(jobId, holder, ttlMs, nowMs, options.takeOverFrom));
  }

  /** The job's current lease (expired ones included), or undefined when none is held. @throws JobNotFoundError */
  async getLease(jobId: string): Promise<Lease | undefined> {
    return this.#run(
      'read a lease',
      () => {
        const row = this.#st.selLease.get(jobId) as LeaseRow | undefined;
        if (row === undefined) {
          this.#assertJobExists(jobId);
          return undefined;
        }
        return { jobId, holder: row.holder, token: row.token, expiresAt: msOf(row.expires_at) };
      },
      false,
    );
  }

  /**
   * Extends the lease to `nowMs + ttlMs` (ms).
   * @throws StaleFencingTokenError when the job was taken over, StoreUnavailableError
   */
  async renewLease(lease: Lease, ttlMs: number, nowMs: number): Promise<Lease> {
    return this.#run('renew lease', () => this.#renewTx(lease, ttlMs, nowMs));
  }

  /** Gives the lease up (its row is deleted; the token stays). @throws StaleFencingTokenError, StoreUnavailableError */
  async releaseLease(lease: Lease): Promise<void> {
    this.#run('release lease', () => this.#releaseTx(lease));
  }

  /**
   * Applies one engine transition (step upserts, job state, events) as one
   * transaction, all or nothing, after checking the lease's fencing token.
   * @throws StaleFencingTokenError (nothing written), JobFinishedError (the job is `succeeded` or
   *   `cancelled`: nothing written), ClusterLockedError (a failed job retried while another job
   *   holds the cluster), StoreUnavailableError
   */
  async commit(lease: Lease, transition: Transition): Promise<void> {
    this.#run('commit a transition', () => this.#commitTx(lease, transition));
  }

  /** Records a pause or cancel request for the runner to act on; needs no lease. @throws JobNotFoundError */
  async requestControl(jobId: string, action: ControlRequest, nowMs: number): Promise<void> {
    assertControlAction(action);
    const changes = this.#run('record a control request', () => this.#st.updControl.run(action, isoTime(nowMs), jobId).changes);
    if (changes === 0) throw new JobNotFoundError(jobId);
  }

  /**
   * Appends an audit event to the job's log (no lease; the job's state is
   * untouched) and returns it with its sequence number. @throws JobNotFoundError
   */
  async appendEvent(jobId: string, event: AuditEvent): Promise<StoredEvent> {
    const seq = this.#run('append an event', () => this.#appendTx(jobId, event));
    if (seq === undefined) throw new JobNotFoundError(jobId);
    const out: StoredEvent = { seq, jobId, at: event.at, type: event.type, data: JSON.parse(json(event.data ?? {})) as Record<string, unknown> };
    if (event.stepId !== undefined) out.stepId = event.stepId;
    return out;
  }

  // ----------------------------------------------------------------- reads

  /** The job with its (cached, frozen) plan. @throws JobNotFoundError */
  async getJob(jobId: string): Promise<JobRecord> {
    // On the engine's hot path (it polls for control requests between steps):
    // a prepared statement, and the plan from the cache.
    this.#checkOpen('read a job');
    return this.#run(
      'read a job',
      () => {
        const row = this.#st.selJob.get(jobId) as JobRow | undefined;
        if (row === undefined) throw new JobNotFoundError(jobId);
        return toJobRecord(row, this.#plan(row.id, row.plan_rev));
      },
      false,
    );
  }

  /** Jobs newest first, filtered by cluster and states; `limit` @default 50. */
  async listJobs(query: JobQuery = {}): Promise<JobRecord[]> {
    this.#checkOpen('list jobs');
    const rows = await this.#read('list jobs', () => selectJobs(this.#db as unknown as SqlStoreDb, query, sql`jobs.rowid`));
    return this.#run('list jobs', () => rows.map((row) => toJobRecord(row, this.#plan(row.id, row.plan_rev))), false);
  }

  /** How many jobs are in each state (of `query.cluster`, when given): one aggregate query. */
  async countJobsByState(query: { cluster?: string } = {}): Promise<JobCountsByState> {
    this.#checkOpen('count jobs');
    return this.#read('count jobs', () => countJobsByState(this.#db as unknown as SqlStoreDb, query));
  }

  /** Every recorded step of the job (unrecorded steps are `pending`). @throws JobNotFoundError */
  async getSteps(jobId: string): Promise<StepRecord[]> {
    const steps = stepsFromJson(jobId, this.#run('read steps', () => this.#st.selSteps.get(jobId) as string, false));
    if (steps.length === 0) this.#assertJobExists(jobId);
    return steps;
  }

  /**
   * The job's step records as a resume reads them: completed steps by id only
   * (one string split natively, however many there are), the others in full.
   * @throws JobNotFoundError
   */
  async getResumeRecords(jobId: string): Promise<ResumeRecords> {
    // Both reads in one (deferred, read-only) transaction: one WAL snapshot, so a step
    // another connection moves from running to succeeded in between is in exactly one list.
    const read = this.#run('read steps', () => this.#resumeReadTx(jobId), false);
    if (read === undefined) return toResumeRecords(await this.getSteps(jobId));
    if (read.completedStepIds.length === 0 && read.openRecords.length === 0) this.#assertJobExists(jobId);
    return read;
  }

  /** `getResumeRecords`'s reads; undefined when an id holds the separator (the caller reads full records). */
  #resumeRead(jobId: string): ResumeRecords | undefined {
    const { n, ids } = this.#st.selCompletedIds.get(jobId) as { n: number; ids: string };
    const completedStepIds = n === 0 ? [] : ids.split(RS);
    if (completedStepIds.length !== n) return undefined;
    return { completedStepIds, openRecords: stepsFromJson(jobId, this.#st.selOpenSteps.get(jobId) as string) };
  }

  /** The job's events in sequence order, after `afterSeq` (exclusive), at most `limit` (@default all). @throws JobNotFoundError */
  async listEvents(jobId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.#checkOpen('read events');
    const rows = await this.#read('read events', () => selectEvents(this.#db as unknown as SqlStoreDb, jobId, query));
    if (rows.length === 0) this.#assertJobExists(jobId);
    return rows.map(toStoredEvent);
  }

  /**
   * Runs `PRAGMA integrity_check` and returns its result: `'ok'` for a sound
   * file, otherwise SQLite's description of the damage.
   */
  async integrityCheck(): Promise<string> {
    this.#checkOpen('check integrity');
    const rows = this.#sqlite.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('\n');
  }

  /**
   * The connection's effective SQLite settings, as the database reports them
   * (for `doctor`-style diagnostics and tests).
   */
  settings(): SqliteStoreSettings {
    this.#checkOpen('read settings');
    const p = (name: string) => this.#sqlite.pragma(name, { simple: true });
    const sync = p('synchronous') as number;
    return {
      journalMode: String(p('journal_mode')),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync] ?? String(sync),
      busyTimeoutMs: p('busy_timeout') as number,
      foreignKeys: p('foreign_keys') === 1,
      schemaVersion: p('user_version') as number,
    };
  }

  /** Closes the database (checkpointing the write-ahead log). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }

  // ------------------------------------------------------------ internals

  /** Revision `rev` of a job's plan, parsed once and deep-frozen (see {@link PlanCache}). */
  #plan(jobId: string, rev: number): JobPlan {
    const cached = this.#plans.get(jobId, rev);
    if (cached !== undefined) return cached;
    const text = this.#st.selPlan.get(jobId) as string | undefined;
    if (text === undefined) throw new JobNotFoundError(jobId);
    return this.#plans.put(jobId, rev, text);
  }

  #assertJobExists(jobId: string): void {
    if (this.#st.selJobExists.get(jobId) === undefined) throw new JobNotFoundError(jobId);
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new StoreUnavailableError(`job store ${this.path}: cannot ${what}, the store is closed`);
  }

  /** Runs a synchronous write, translating SQLite failures into `StoreUnavailableError`. */
  #run<T>(what: string, fn: () => T, write = true): T {
    this.#checkOpen(what);
    if (write) this.#checkFile(what);
    try {
      return fn();
    } catch (error) {
      throw translateSqliteError(error, this.path, what);
    }
  }

  async #read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translateSqliteError(error, this.path, what);
    }
  }

  /**
   * SQLite keeps writing to a deleted file through its open descriptor, so a
   * database file removed (or replaced) under a running job would go on
   * "recording" into nothing. Check the path still names the opened file.
   */
  #checkFile(what: string): void {
    if (this.#inode === undefined) return;
    const ino = fs.statSync(this.#absPath, { throwIfNoEntry: false })?.ino;
    if (ino !== this.#inode) {
      throw new StoreUnavailableError(
        `job store ${this.path}: cannot ${what}: the database file was deleted or replaced while open; ` +
          'nothing more can be recorded, so the job must stop. Restore the file (or fix the path) and resume the job',
        { details: { path: this.path } },
      );
    }
  }

  #create(job: NewJob): void {
    if (this.#st.selJobExists.get(job.id) !== undefined) throw duplicateJobIdError(job.id, this.path);
    if (!job.allowConcurrent) this.#assertClusterFree(job.cluster, job.id);
    const at = isoTime(job.at);
    this.#st.insJob.run(job.id, job.cluster, job.operator, job.workflowName, job.allowConcurrent ? 1 : 0, at, at);
    this.#st.insPlan.run(job.id, job.workflowText, json(job.plan));
  }

  #assertClusterFree(cluster: string, exceptJobId: string): void {
    const holder = this.#st.selActiveOnCluster.get(cluster, exceptJobId) as { id: string; operator: string; state: string } | undefined;
    if (holder !== undefined) throw new ClusterLockedError(cluster, holder.id, holder.operator, holder.state);
  }

  #jobForWrite(jobId: string): CommitJobRow {
    const job = this.#st.selJobForCommit.get(jobId) as CommitJobRow | undefined;
    if (job === undefined) throw new JobNotFoundError(jobId);
    return job;
  }

  #acquire(jobId: string, holder: string, ttlMs: number, nowMs: number, takeOverFrom: string | undefined): Lease {
    const job = this.#jobForWrite(jobId);
    const current = this.#st.selLease.get(jobId) as LeaseRow | undefined;
    assertLeaseAvailable(jobId, current && { holder: current.holder, expiresMs: msOf(current.expires_at) }, holder, nowMs, takeOverFrom);
    const token = job.fencing_token + 1;
    const now = isoTime(nowMs);
    const expiresAt = nowMs + ttlMs;
    this.#st.updToken.run(token, jobId);
    this.#st.upsLease.run(jobId, holder, token, now, now, isoTime(expiresAt));
    return { jobId, holder, token, expiresAt };
  }

  #renew(lease: Lease, ttlMs: number, nowMs: number): Lease {
    const job = this.#jobForWrite(lease.jobId);
    assertCurrentToken(job.fencing_token, lease);
    const expiresAt = nowMs + ttlMs;
    const now = isoTime(nowMs);
    if (this.#st.updLeaseExpiry.run(now, isoTime(expiresAt), lease.jobId, lease.token).changes === 0) {
      // Released earlier by the same holder: take it again under the same token.
      this.#st.upsLease.run(lease.jobId, lease.holder, lease.token, now, now, isoTime(expiresAt));
    }
    return { jobId: lease.jobId, holder: lease.holder, token: lease.token, expiresAt };
  }

  #release(lease: Lease): void {
    const job = this.#jobForWrite(lease.jobId);
    assertCurrentToken(job.fencing_token, lease);
    this.#st.delLease.run(lease.jobId, lease.token);
  }

  #commit(lease: Lease, t: Transition): void {
    const jobId = lease.jobId;
    if (t.job === undefined) {
      // A step transition (nearly every commit) needs only the token and the state.
      const job = this.#st.selTokenState.get(jobId) as { fencing_token: number; state: string; control: string | null } | undefined;
      if (job === undefined) throw new JobNotFoundError(jobId);
      assertCurrentToken(job.fencing_token, lease);
      assertNotFinal(jobId, job.state);
      assertNoControlRequest(jobId, job.control, t.unlessControlRequested);
    } else {
      const job = this.#jobForWrite(jobId);
      assertCurrentToken(job.fencing_token, lease);
      assertNotFinal(jobId, job.state);
      assertNoControlRequest(jobId, job.control, t.unlessControlRequested);
      if (reacquiresClusterLock(job.state, t.job.state, job.allow_concurrent === 1)) this.#assertClusterFree(job.cluster, jobId);
    }
    const w = commitWrites(t);
    const st = this.#st;
    for (const s of w.steps) {
      st.upsStep.run(jobId, s.stepId, s.nodeId, s.state, s.attempts, s.startedAt, s.finishedAt, s.lastError, s.result, s.setError ? 1 : 0);
    }
    for (const e of w.events) st.insEvent.run(jobId, w.at, e.type, e.stepId, e.data);
    if (w.plan !== undefined) {
      st.updPlan.run(w.plan, jobId);
      st.bumpPlanRev.run(jobId);
    }
    // The job row is rewritten only when the job changes, or when nothing else records
    // the transition's time: a step transition's event row already says when it
    // happened, and sparing the extra page write per transition is most of the
    // store's cost beside the fsync. getJob's updatedAt is the later of the two.
    if (w.job !== undefined) {
      st.updJobState.run({
        id: jobId,
        state: w.job.state,
        setError: w.job.setError ? 1 : 0,
        error: w.job.error,
        clearControl: w.job.clearControl ? 1 : 0,
        at: w.at,
      });
    } else if (w.touch) {
      st.touch.run(w.at, jobId);
    }
  }
}
