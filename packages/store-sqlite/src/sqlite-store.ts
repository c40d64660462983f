import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import {
  ACTIVE_JOB_STATES,
  COMPLETED_STEP_STATES,
  ClusterLockedError,
  InvalidInputError,
  JobNotFoundError,
  LeaseHeldError,
  ScyllaCpError,
  StaleFencingTokenError,
  StoreUnavailableError,
  toResumeRecords,
  type ControlRequest,
  type ErrorDetail,
  type JobPlan,
  type JobQuery,
  type JobRecord,
  type JobState,
  type JobStore,
  type Lease,
  type NewJob,
  type ResumeRecords,
  type StepRecord,
  type StepState,
  type StoredEvent,
  type Transition,
} from '@scylla-cp/core';
import { isoTime } from './iso-time.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_NAMES, MIGRATION_TABLE, SCHEMA_VERSION, migrationProvider } from './migrations.js';
import type { JobPlansTable, JobsTable, StoreSchema } from './schema.js';
import { NotAStoreDatabaseError, SchemaTooNewError } from './sqlite-store-errors.js';

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /**
   * SQLite `synchronous` setting. `FULL` fsyncs the write-ahead log at every
   * commit, so a committed transition survives a power cut. `NORMAL` fsyncs
   * only at checkpoints: still safe against a killed process (the log is in
   * the OS page cache), but a power cut may lose the last few transitions, and
   * a resume would then re-run those steps (tasks are idempotent).
   * @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * How long a write waits for another process's write transaction to finish
   * before failing with `StoreUnavailableError` (SQLite `busy_timeout`). Milliseconds.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * Open for reading only (inspection tools: status, history). Every write
   * then fails with `StoreUnavailableError`. The file must exist and have the
   * current schema.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Create the parent directory of the database file when missing
   * (e.g. `~/.scylla-cp/`). Ignored for `:memory:` and `readOnly`.
   * @default true
   */
  createDirectory?: boolean;
}

/** What {@link SqliteStore.settings} reports. */
export interface SqliteStoreSettings {
  /** `wal` for a file store (`memory` for `:memory:`). */
  journalMode: string;
  /** `FULL` or `NORMAL`. */
  synchronous: string;
  /** SQLite `busy_timeout`, milliseconds. */
  busyTimeoutMs: number;
  /** Whether foreign keys are enforced (always true). */
  foreignKeys: boolean;
  /** `PRAGMA user_version`: the schema version of the file. */
  schemaVersion: number;
}

type Sqlite = Database.Database;
type Statement = Database.Statement;

/** A `jobs` row joined with its workflow text, as `getJob` and `listJobs` read it. */
type JobRow = Omit<JobsTable, 'updated_seq'> & {
  workflow_text: JobPlansTable['workflow_text'];
  /** The newest event of the job written after the row's `updated_at`, if any. */
  last_event_at: string | null;
};

interface CommitJobRow {
  state: string;
  cluster: string;
  allow_concurrent: number;
  fencing_token: number;
}

interface LeaseRow {
  holder: string;
  token: number;
  expires_at: string;
}

/** A step as `getSteps` and `getResumeRecords` read it: [stepId, nodeId, state, attempts, startedMs, finishedMs, lastError, [result] | null]. */
type StepTuple = [string, string | null, StepState, number, number | null, number | null, ErrorDetail | null, [unknown] | null];

interface EventRow {
  seq: number;
  job_id: string;
  at: string;
  type: string;
  step_id: string | null;
  data: string;
}

/** Separator of the completed ids in `getResumeRecords` (ASCII record separator; an id containing it takes the slower path). */
const RS = '\u001e';
/** `('a', 'b')`: a SQL list of (quote-free) state names. */
function sqlList(states: readonly string[]): string {
  return `(${states.map((s) => `'${s}'`).join(', ')})`;
}
/** Step states a resume never runs again, as a SQL list. */
const COMPLETED_SQL_LIST = sqlList(COMPLETED_STEP_STATES);

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const ACTIVE = new Set<string>(ACTIVE_JOB_STATES);
const ACTIVE_SQL_LIST = sqlList(ACTIVE_JOB_STATES);

/** SQLite result codes (primary, before the first `_` extension) that mean "cannot record". */
const UNAVAILABLE_CODES = new Set([
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PERM',
  'SQLITE_PROTOCOL',
  'SQLITE_NOLFS',
]);

/** How many parsed plans a store keeps (least recently used are dropped). */
const PLAN_CACHE_SIZE = 16;

/** Freezes a parsed JSON value and everything in it (recursing only into objects). */
function deepFreeze<T>(value: T): T {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v);
    }
  } else {
    for (const k in value) {
      const v: unknown = (value as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v);
    }
  }
  return value;
}

function msOf(text: string): number {
  return Date.parse(text);
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

function primaryCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const i = code.indexOf('_', 'SQLITE_'.length);
  return i < 0 ? code : code.slice(0, i);
}

/** What a given SQLite failure means to an operator, and what to do. */
function explain(code: string | undefined, fullCode: string | undefined): string {
  if (fullCode === 'SQLITE_READONLY_DBMOVED') return 'the database file was deleted or moved while open';
  switch (code) {
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
      return 'the database file (or its directory) is read-only';
    case 'SQLITE_FULL':
      return 'the disk (or the database size limit) is full';
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return 'another process held the database locked for longer than busy_timeout';
    case 'SQLITE_CANTOPEN':
      return 'the database file cannot be opened (missing, or its directory is not writable)';
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'the database file is corrupt';
    default:
      return 'the database file cannot be written (I/O error)';
  }
}

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
  /** The file path given to {@link SqliteStore.open} (`:memory:` for an in-memory store). */
  readonly path: string;
  readonly #sqlite: Sqlite;
  readonly #db: Kysely<StoreSchema>;
  readonly #inode: number | undefined;
  /** `path` made absolute at open (a later `process.chdir` must not look like a vanished file). */
  readonly #absPath: string;
  #closed = false;
  readonly #plans = new Map<string, JobPlan>();
  readonly #selPlan: Statement;
  readonly #selJob: Statement;
  readonly #selSteps: Statement;
  readonly #selOpenSteps: Statement;
  readonly #selCompletedIds: Statement;

  readonly #selJobForCommit: Statement;
  readonly #selToken: Statement;
  readonly #selActiveOnCluster: Statement;
  readonly #insJob: Statement;
  readonly #insPlan: Statement;
  readonly #selJobExists: Statement;
  readonly #selLease: Statement;
  readonly #updToken: Statement;
  readonly #upsLease: Statement;
  readonly #updLeaseExpiry: Statement;
  readonly #delLease: Statement;
  readonly #updJobState: Statement;
  readonly #touch: Statement;
  readonly #upsStep: Statement;
  readonly #insEvent: Statement;
  readonly #updControl: Statement;

  readonly #createTx: (job: NewJob) => void;
  readonly #acquireTx: (jobId: string, holder: string, ttlMs: number, nowMs: number) => Lease;
  readonly #renewTx: (lease: Lease, ttlMs: number, nowMs: number) => Lease;
  readonly #releaseTx: (lease: Lease) => void;
  readonly #commitTx: (lease: Lease, t: Transition) => void;
  readonly #resumeReadTx: (jobId: string) => ResumeRecords | undefined;

  private constructor(filePath: string, sqlite: Sqlite, db: Kysely<StoreSchema>) {
    this.path = filePath;
    this.#sqlite = sqlite;
    this.#db = db;
    this.#absPath = path.resolve(filePath);
    this.#inode = filePath === ':memory:' || filePath === '' ? undefined : fs.statSync(this.#absPath).ino;
    const s = sqlite;

    this.#selJobForCommit = s.prepare('SELECT state, cluster, allow_concurrent, fencing_token FROM jobs WHERE id = ?');
    this.#selToken = s.prepare('SELECT fencing_token FROM jobs WHERE id = ?').pluck();
    this.#selActiveOnCluster = s.prepare(
      `SELECT id, operator, state FROM jobs WHERE cluster = ? AND id <> ? AND state IN ${ACTIVE_SQL_LIST} ORDER BY rowid DESC LIMIT 1`,
    );
    this.#selJobExists = s.prepare('SELECT 1 FROM jobs WHERE id = ?').pluck();
    this.#insJob = s.prepare(
      `INSERT INTO jobs (id, cluster, operator, workflow_name, state, allow_concurrent, fencing_token, created_at, updated_at, updated_seq)
       VALUES (?, ?, ?, ?, 'pending', ?, 0, ?, ?, coalesce((SELECT max(seq) FROM events), 0))`,
    );
    this.#insPlan = s.prepare('INSERT INTO job_plans (job_id, workflow_text, plan) VALUES (?, ?, ?)');
    this.#selJob = s.prepare(
      `SELECT j.id, j.cluster, j.operator, j.workflow_name, j.state, j.allow_concurrent, j.control, j.error,
         j.fencing_token, j.created_at, j.updated_at, p.workflow_text,
         (SELECT e.at FROM events e WHERE e.job_id = j.id AND e.seq > j.updated_seq ORDER BY e.seq DESC LIMIT 1) AS last_event_at
       FROM jobs j JOIN job_plans p ON p.job_id = j.id WHERE j.id = ?`,
    );
    // Steps come back as one JSON array built by SQLite: parsing it costs less than
    // materializing a large result row by row through the native binding.
    const stepsJson = (where: string): string =>
      `SELECT json_group_array(json_array(step_id, node_id, state, attempts, started_ms, finished_ms, json(last_error),
         iif(result IS NULL, NULL, json_array(json(result)))))
       FROM steps WHERE ${where}`;
    this.#selSteps = s.prepare(stepsJson('job_id = ?')).pluck();
    this.#selOpenSteps = s.prepare(stepsJson(`job_id = ? AND state NOT IN ${COMPLETED_SQL_LIST}`)).pluck();
    this.#selCompletedIds = s.prepare(
      `SELECT count(*) AS n, coalesce(group_concat(step_id, char(30)), '') AS ids FROM steps WHERE job_id = ? AND state IN ${COMPLETED_SQL_LIST}`,
    );
    this.#selPlan = s.prepare('SELECT plan FROM job_plans WHERE job_id = ?').pluck();
    this.#selLease = s.prepare('SELECT holder, token, expires_at FROM leases WHERE job_id = ?');
    this.#updToken = s.prepare('UPDATE jobs SET fencing_token = ? WHERE id = ?');
    this.#upsLease = s.prepare(
      `INSERT INTO leases (job_id, holder, token, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET holder = excluded.holder, token = excluded.token,
         acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
    );
    this.#updLeaseExpiry = s.prepare('UPDATE leases SET renewed_at = ?, expires_at = ? WHERE job_id = ? AND token = ?');
    this.#delLease = s.prepare('DELETE FROM leases WHERE job_id = ? AND token = ?');
    this.#updJobState = s.prepare(
      `UPDATE jobs SET state = @state,
         error = CASE WHEN @setError THEN @error ELSE error END,
         control = CASE WHEN @clearControl THEN NULL ELSE control END,
         updated_at = @at,
         updated_seq = coalesce((SELECT max(seq) FROM events), 0)
       WHERE id = @id`,
    );
    this.#touch = s.prepare('UPDATE jobs SET updated_at = ?, updated_seq = coalesce((SELECT max(seq) FROM events), 0) WHERE id = ?');
    this.#upsStep = s.prepare(
      // Positional parameters (binding an object by name costs more per call):
      // job_id, step_id, node_id, state, attempts, started_at, finished_at, last_error, result, set_error.
      `INSERT INTO steps (job_id, step_id, node_id, state, attempts, started_at, finished_at, last_error, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, step_id) DO UPDATE SET
         node_id = coalesce(excluded.node_id, node_id),
         state = excluded.state,
         attempts = excluded.attempts,
         started_at = coalesce(excluded.started_at, started_at),
         finished_at = coalesce(excluded.finished_at, finished_at),
         last_error = CASE WHEN ? THEN excluded.last_error ELSE last_error END,
         result = coalesce(excluded.result, result)`,
    );
    this.#insEvent = s.prepare('INSERT INTO events (job_id, at, type, step_id, data) VALUES (?, ?, ?, ?, ?)');
    this.#updControl = s.prepare('UPDATE jobs SET control = ?, updated_at = ?, updated_seq = coalesce((SELECT max(seq) FROM events), 0) WHERE id = ?');

    this.#createTx = s.transaction((job: NewJob) => this.#create(job)).immediate;
    this.#acquireTx = s.transaction((jobId: string, holder: string, ttlMs: number, nowMs: number) =>
      this.#acquire(jobId, holder, ttlMs, nowMs),
    ).immediate;
    this.#renewTx = s.transaction((lease: Lease, ttlMs: number, nowMs: number) => this.#renew(lease, ttlMs, nowMs)).immediate;
    this.#releaseTx = s.transaction((lease: Lease) => this.#release(lease)).immediate;
    this.#commitTx = s.transaction((lease: Lease, t: Transition) => this.#commit(lease, t)).immediate;
    this.#resumeReadTx = s.transaction((jobId: string) => this.#resumeRead(jobId)).deferred;
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
    const synchronous = options.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new InvalidInputError(`SqliteStore: synchronous must be 'FULL' or 'NORMAL', got ${String(synchronous)}`, {
        code: 'INVALID_OPTION',
      });
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new InvalidInputError(`SqliteStore: busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`, {
        code: 'INVALID_OPTION',
      });
    }
    const readOnly = options.readOnly ?? false;
    const memory = filePath === ':memory:';
    if (!memory) {
      checkFile(filePath, readOnly);
      if (!readOnly && (options.createDirectory ?? true)) {
        fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
      }
    }

    let sqlite: Sqlite;
    try {
      sqlite = new Database(filePath, { readonly: readOnly, fileMustExist: readOnly, timeout: busyTimeoutMs });
    } catch (error) {
      throw translate(error, filePath, 'open');
    }
    let db: Kysely<StoreSchema> | undefined;
    try {
      // 1. Read the schema version before writing anything.
      const fileVersion = sqlite.pragma('user_version', { simple: true }) as number;
      const hasMigrationTable =
        sqlite.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(MIGRATION_TABLE) !== undefined;
      const applied = hasMigrationTable
        ? (sqlite.prepare(`SELECT name FROM ${MIGRATION_TABLE} ORDER BY name`).pluck().all() as string[])
        : [];
      const unknown = applied.filter((name) => !MIGRATION_NAMES.includes(name));
      if (fileVersion > SCHEMA_VERSION || unknown.length > 0) {
        throw new SchemaTooNewError(filePath, Math.max(fileVersion, SCHEMA_VERSION + unknown.length), SCHEMA_VERSION);
      }
      if (!hasMigrationTable && fileVersion === 0) {
        const foreign = sqlite
          .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
          .pluck()
          .get() as number;
        if (foreign > 0) {
          throw new NotAStoreDatabaseError(filePath, 'the file is a SQLite database of another application (it has tables but no scylla-cp schema)');
        }
      }
      // 2. Connection settings.
      if (!readOnly) sqlite.pragma('journal_mode = WAL');
      sqlite.pragma(`synchronous = ${synchronous}`);
      sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
      sqlite.pragma('foreign_keys = ON');
      // 3. Migrations.
      db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
      const pending = fileVersion < SCHEMA_VERSION || applied.length < MIGRATION_NAMES.length;
      if (pending) {
        if (readOnly) {
          throw new StoreUnavailableError(
            `job store ${filePath}: schema version ${fileVersion} needs an upgrade to ${SCHEMA_VERSION}, which a read-only open cannot do; open it once without readOnly`,
          );
        }
        const migrator = new Migrator({
          db,
          provider: migrationProvider,
          migrationTableName: MIGRATION_TABLE,
          migrationLockTableName: MIGRATION_LOCK_TABLE,
        });
        const { error } = await migrator.migrateToLatest();
        if (error !== undefined) throw error;
      }
      return new SqliteStore(filePath, sqlite, db);
    } catch (error) {
      if (db !== undefined) await db.destroy().catch(() => undefined);
      else sqlite.close();
      throw translate(error, filePath, 'open');
    }
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
   * @throws LeaseHeldError while another holder's lease is unexpired, JobNotFoundError, StoreUnavailableError
   */
  async acquireLease(jobId: string, holder: string, ttlMs: number, nowMs: number): Promise<Lease> {
    return this.#run('acquire lease', () => this.#acquireTx(jobId, holder, ttlMs, nowMs));
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
   * @throws StaleFencingTokenError (nothing written), ClusterLockedError (terminal job
   *   moved back to active while another job holds the cluster), StoreUnavailableError
   */
  async commit(lease: Lease, transition: Transition): Promise<void> {
    this.#run('commit a transition', () => this.#commitTx(lease, transition));
  }

  /** Records a pause or cancel request for the runner to act on; needs no lease. @throws JobNotFoundError */
  async requestControl(jobId: string, action: ControlRequest, nowMs: number): Promise<void> {
    if (action !== 'pause' && action !== 'cancel') {
      throw new InvalidInputError(`requestControl: action must be 'pause' or 'cancel', got ${String(action)}`, { code: 'INVALID_OPTION' });
    }
    const changes = this.#run('record a control request', () => this.#updControl.run(action, isoTime(nowMs), jobId).changes);
    if (changes === 0) throw new JobNotFoundError(jobId);
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
        const row = this.#selJob.get(jobId) as JobRow | undefined;
        if (row === undefined) throw new JobNotFoundError(jobId);
        return toJobRecord(row, this.#plan(row.id));
      },
      false,
    );
  }

  /** Jobs newest first, filtered by cluster and states; `limit` @default 50. */
  async listJobs(query: JobQuery = {}): Promise<JobRecord[]> {
    this.#checkOpen('list jobs');
    let q = this.#jobQuery();
    if (query.cluster !== undefined) q = q.where('jobs.cluster', '=', query.cluster);
    if (query.states !== undefined) {
      if (query.states.length === 0) return [];
      q = q.where('jobs.state', 'in', query.states);
    }
    const rows = await this.#read('list jobs', () =>
      q
        .orderBy('jobs.created_at', 'desc')
        .orderBy(sql`jobs.rowid`, 'desc')
        .limit(Math.max(0, query.limit ?? 50))
        .execute(),
    );
    return this.#run('list jobs', () => rows.map((row) => toJobRecord(row, this.#plan(row.id))), false);
  }

  /** Every recorded step of the job (unrecorded steps are `pending`). @throws JobNotFoundError */
  async getSteps(jobId: string): Promise<StepRecord[]> {
    const steps = this.#stepsFromJson(jobId, this.#run('read steps', () => this.#selSteps.get(jobId) as string, false));
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
    const { n, ids } = this.#selCompletedIds.get(jobId) as { n: number; ids: string };
    const completedStepIds = n === 0 ? [] : ids.split(RS);
    if (completedStepIds.length !== n) return undefined;
    return { completedStepIds, openRecords: this.#stepsFromJson(jobId, this.#selOpenSteps.get(jobId) as string) };
  }

  /** Step tuples of a `json_group_array` read ({@link StepTuple}) as records of job `jobId`. */
  #stepsFromJson(jobId: string, text: string): StepRecord[] {
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

  /** The job's events in sequence order, after `afterSeq` (exclusive), at most `limit` (@default all). @throws JobNotFoundError */
  async listEvents(jobId: string, query: { afterSeq?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.#checkOpen('read events');
    let q = this.#db.selectFrom('events').selectAll().where('job_id', '=', jobId);
    if (query.afterSeq !== undefined) q = q.where('seq', '>', query.afterSeq);
    q = q.orderBy('seq', 'asc');
    if (query.limit !== undefined) q = q.limit(Math.max(0, query.limit));
    const rows = await this.#read('read events', () => q.execute());
    if (rows.length === 0) this.#assertJobExists(jobId);
    return rows.map((r) => toStoredEvent(r as EventRow));
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
      synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync] ?? String(sync)),
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

  #jobQuery() {
    return this.#db
      .selectFrom('jobs')
      .innerJoin('job_plans', 'job_plans.job_id', 'jobs.id')
      .select([
        'jobs.id',
        'jobs.cluster',
        'jobs.operator',
        'jobs.workflow_name',
        'jobs.state',
        'jobs.allow_concurrent',
        'jobs.control',
        'jobs.error',
        'jobs.fencing_token',
        'jobs.created_at',
        'jobs.updated_at',
        'job_plans.workflow_text',
      ])
      .select((eb) =>
        eb
          .selectFrom('events')
          .select('events.at')
          .whereRef('events.job_id', '=', 'jobs.id')
          .whereRef('events.seq', '>', 'jobs.updated_seq')
          .orderBy('events.seq', 'desc')
          .limit(1)
          .as('last_event_at'),
      );
  }

  /**
   * A job's plan, parsed once and deep-frozen: plans never change after
   * `createJob`, and large ones (100,000 steps) cost tens of ms to parse.
   * Shared by every returned `JobRecord` of the job (as `MemoryStore` does).
   */
  #plan(jobId: string): JobPlan {
    let plan = this.#plans.get(jobId);
    if (plan !== undefined) {
      this.#plans.delete(jobId);
      this.#plans.set(jobId, plan);
      return plan;
    }
    const text = this.#selPlan.get(jobId) as string | undefined;
    if (text === undefined) throw new JobNotFoundError(jobId);
    plan = deepFreeze(JSON.parse(text) as JobPlan);
    this.#plans.set(jobId, plan);
    if (this.#plans.size > PLAN_CACHE_SIZE) this.#plans.delete(this.#plans.keys().next().value as string);
    return plan;
  }

  #assertJobExists(jobId: string): void {
    if (this.#selJobExists.get(jobId) === undefined) throw new JobNotFoundError(jobId);
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
      throw translate(error, this.path, what);
    }
  }

  async #read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translate(error, this.path, what);
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
    if (this.#selJobExists.get(job.id) !== undefined) {
      throw new InvalidInputError(`a job with id ${job.id} already exists in ${this.path}; job ids must be unique`, {
        code: 'DUPLICATE_JOB_ID',
      });
    }
    if (!job.allowConcurrent) this.#assertClusterFree(job.cluster, job.id);
    const at = isoTime(job.at);
    this.#insJob.run(job.id, job.cluster, job.operator, job.workflowName, job.allowConcurrent ? 1 : 0, at, at);
    this.#insPlan.run(job.id, job.workflowText, json(job.plan));
  }

  #assertClusterFree(cluster: string, exceptJobId: string): void {
    const holder = this.#selActiveOnCluster.get(cluster, exceptJobId) as { id: string; operator: string; state: string } | undefined;
    if (holder !== undefined) throw new ClusterLockedError(cluster, holder.id, holder.operator, holder.state);
  }

  #jobForWrite(jobId: string): CommitJobRow {
    const job = this.#selJobForCommit.get(jobId) as CommitJobRow | undefined;
    if (job === undefined) throw new JobNotFoundError(jobId);
    return job;
  }

  #assertToken(currentToken: number, lease: Lease): void {
    if (lease.token < 1 || currentToken !== lease.token) throw new StaleFencingTokenError(lease.jobId, lease.token, currentToken);
  }

  #acquire(jobId: string, holder: string, ttlMs: number, nowMs: number): Lease {
    const job = this.#jobForWrite(jobId);
    const current = this.#selLease.get(jobId) as LeaseRow | undefined;
    if (current !== undefined && current.holder !== holder && msOf(current.expires_at) > nowMs) {
      throw new LeaseHeldError(jobId, current.holder, current.expires_at);
    }
    const token = job.fencing_token + 1;
    const now = isoTime(nowMs);
    const expiresAt = nowMs + ttlMs;
    this.#updToken.run(token, jobId);
    this.#upsLease.run(jobId, holder, token, now, now, isoTime(expiresAt));
    return { jobId, holder, token, expiresAt };
  }

  #renew(lease: Lease, ttlMs: number, nowMs: number): Lease {
    const job = this.#jobForWrite(lease.jobId);
    this.#assertToken(job.fencing_token, lease);
    const expiresAt = nowMs + ttlMs;
    const now = isoTime(nowMs);
    if (this.#updLeaseExpiry.run(now, isoTime(expiresAt), lease.jobId, lease.token).changes === 0) {
      // Released earlier by the same holder: take it again under the same token.
      this.#upsLease.run(lease.jobId, lease.holder, lease.token, now, now, isoTime(expiresAt));
    }
    return { jobId: lease.jobId, holder: lease.holder, token: lease.token, expiresAt };
  }

  #release(lease: Lease): void {
    const job = this.#jobForWrite(lease.jobId);
    this.#assertToken(job.fencing_token, lease);
    this.#delLease.run(lease.jobId, lease.token);
  }

  #commit(lease: Lease, t: Transition): void {
    const jobId = lease.jobId;
    if (t.job === undefined) {
      // A step transition (nearly every commit) needs only the token.
      const token = this.#selToken.get(jobId) as number | undefined;
      if (token === undefined) throw new JobNotFoundError(jobId);
      this.#assertToken(token, lease);
    } else {
      const job = this.#jobForWrite(jobId);
      this.#assertToken(job.fencing_token, lease);
      if (!ACTIVE.has(job.state) && ACTIVE.has(t.job.state) && job.allow_concurrent === 0) this.#assertClusterFree(job.cluster, jobId);
    }
    const at = isoTime(t.at);
    if (t.steps !== undefined) {
      for (const s of t.steps) {
        this.#upsStep.run(
          jobId,
          s.stepId,
          s.nodeId ?? null,
          s.state,
          s.attempts,
          s.startedAt === undefined ? null : isoTime(s.startedAt),
          s.finishedAt === undefined ? null : isoTime(s.finishedAt),
          s.lastError === undefined || s.lastError === null ? null : json(s.lastError),
          s.result === undefined ? null : json(s.result),
          s.lastError === undefined ? 0 : 1,
        );
      }
    }
    const events = t.events ?? [];
    for (const e of events) this.#insEvent.run(jobId, at, e.type, e.stepId ?? null, json(e.data ?? {}));
    // The job row is rewritten only when the job changes, or when nothing else records
    // the transition's time: a step transition's event row already says when it
    // happened, and sparing the extra page write per transition is most of the
    // store's cost beside the fsync. getJob's updatedAt is the later of the two.
    if (t.job !== undefined) {
      this.#updJobState.run({
        id: jobId,
        state: t.job.state,
        setError: t.job.error === undefined ? 0 : 1,
        error: t.job.error === undefined || t.job.error === null ? null : json(t.job.error),
        clearControl: t.job.clearControl ? 1 : 0,
        at,
      });
    } else if (events.length === 0) {
      this.#touch.run(at, jobId);
    }
  }
}

/** Refuses, before SQLite touches it, a path that is a directory or a non-SQLite file. */
function checkFile(filePath: string, readOnly: boolean): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (readOnly) throw new StoreUnavailableError(`job store ${filePath}: no such file (a read-only open needs an existing database)`);
      return;
    }
    throw new StoreUnavailableError(`job store ${filePath}: cannot inspect the file (${(error as Error).message})`, { cause: error });
  }
  if (stat.isDirectory()) throw new NotAStoreDatabaseError(filePath, 'the path is a directory, not a database file');
  if (stat.size === 0) return; // SQLite treats an empty file as a new database.
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number | undefined;
  try {
    fd = fs.openSync(filePath, 'r');
    fs.readSync(fd, header, 0, header.length, 0);
  } catch (error) {
    throw new StoreUnavailableError(`job store ${filePath}: cannot read the file (${(error as Error).message})`, { cause: error });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    throw new NotAStoreDatabaseError(filePath, 'the file is not a SQLite database (its header is not "SQLite format 3")');
  }
}

/** Our own errors pass through; SQLite and I/O failures become `StoreUnavailableError`. */
function translate(error: unknown, filePath: string, what: string): unknown {
  if (error instanceof ScyllaCpError) return error;
  const fullCode = (error as { code?: unknown } | null)?.code;
  const code = primaryCode(error);
  if (code === 'SQLITE_NOTADB') {
    return new NotAStoreDatabaseError(filePath, 'the file is not a SQLite database', { cause: error });
  }
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) {
    return new StoreUnavailableError(
      `job store ${filePath}: cannot ${what}: ${explain(code, fullCode as string)} (${String(fullCode)}: ${(error as Error).message}); ` +
        (what === 'open'
          ? 'fix the file, its directory or the disk, or open another path'
          : 'nothing was recorded, so the job must stop. Fix the file or disk and resume the job'),
      { cause: error, details: { path: filePath, sqliteCode: fullCode } },
    );
  }
  if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
    return new StoreUnavailableError(`job store ${filePath}: cannot ${what}, the store is closed`, { cause: error });
  }
  if (error instanceof Error && (error as NodeJS.ErrnoException).code !== undefined && what === 'open') {
    return new StoreUnavailableError(`job store ${filePath}: cannot open (${error.message})`, { cause: error });
  }
  return error;
}

function toJobRecord(row: JobRow, plan: JobPlan): JobRecord {
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
    fencingToken: row.fencing_token,
  };
  if (row.error !== null) record.error = JSON.parse(row.error) as ErrorDetail;
  if (row.control !== null) record.control = row.control as ControlRequest;
  return record;
}

function toStoredEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    seq: row.seq,
    jobId: row.job_id,
    at: msOf(row.at),
    type: row.type,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
  if (row.step_id !== null) event.stepId = row.step_id;
  return event;
}
