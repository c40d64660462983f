import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { CONTROL_REQUESTS_SQL_LIST, JOB_STATES_SQL_LIST, STEP_STATES_SQL_LIST } from '@scylla-cp/store-sql';

/** Name of the table in which Kysely's `Migrator` records applied migrations. */
export const MIGRATION_TABLE = 'schema_migrations';
/** Name of the table Kysely's `Migrator` uses as a lock while migrating. */
export const MIGRATION_LOCK_TABLE = 'schema_migrations_lock';

const JOB_STATES = JOB_STATES_SQL_LIST;
const STEP_STATES = STEP_STATES_SQL_LIST;

/** SQL turning an ISO-8601 column into integer ms since epoch (exact to the millisecond). */
function epochMs(column: string): string {
  return `CAST(round(unixepoch(${column}, 'subsec') * 1000) AS INTEGER)`;
}

/**
 * The migrations, in order. Forward only: there is no `down`. Each one ends by
 * setting `PRAGMA user_version` to its number, so the schema version is
 * visible to `sqlite3 jobs.db 'pragma user_version'` and checked on open.
 * Never edit a released migration; append a new one.
 */
const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  [
    '0001_initial',
    {
      async up(db: Kysely<unknown>): Promise<void> {
        await sql`
          CREATE TABLE jobs (
            id               TEXT PRIMARY KEY NOT NULL,
            cluster          TEXT NOT NULL,
            operator         TEXT NOT NULL,
            workflow_name    TEXT NOT NULL,
            state            TEXT NOT NULL CHECK (state IN ${sql.raw(JOB_STATES)}),
            allow_concurrent INTEGER NOT NULL DEFAULT 0 CHECK (allow_concurrent IN (0, 1)),
            control          TEXT CHECK (control IN ('pause', 'cancel')),
            error            TEXT CHECK (error IS NULL OR json_valid(error)),
            fencing_token    INTEGER NOT NULL DEFAULT 0,
            created_at       TEXT NOT NULL,
            updated_at       TEXT NOT NULL,
            updated_seq      INTEGER NOT NULL DEFAULT 0
          )`.execute(db);
        await sql`CREATE INDEX jobs_by_cluster_state ON jobs (cluster, state)`.execute(db);
        await sql`CREATE INDEX jobs_by_created_at ON jobs (created_at)`.execute(db);
        await sql`
          CREATE TABLE job_plans (
            job_id        TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id),
            workflow_text TEXT NOT NULL,
            plan          TEXT NOT NULL CHECK (json_valid(plan))
          )`.execute(db);
        await sql`
          CREATE TABLE steps (
            job_id      TEXT NOT NULL REFERENCES jobs (id),
            step_id     TEXT NOT NULL,
            node_id     TEXT,
            state       TEXT NOT NULL CHECK (state IN ${sql.raw(STEP_STATES)}),
            attempts    INTEGER NOT NULL DEFAULT 0,
            started_at  TEXT,
            finished_at TEXT,
            started_ms  INTEGER GENERATED ALWAYS AS (${sql.raw(epochMs('started_at'))}) STORED,
            finished_ms INTEGER GENERATED ALWAYS AS (${sql.raw(epochMs('finished_at'))}) STORED,
            last_error  TEXT CHECK (last_error IS NULL OR json_valid(last_error)),
            result      TEXT CHECK (result IS NULL OR json_valid(result)),
            PRIMARY KEY (job_id, step_id)
          ) WITHOUT ROWID`.execute(db);
        await sql`
          CREATE TABLE leases (
            job_id      TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id),
            holder      TEXT NOT NULL,
            token       INTEGER NOT NULL,
            acquired_at TEXT NOT NULL,
            renewed_at  TEXT NOT NULL,
            expires_at  TEXT NOT NULL
          )`.execute(db);
        await sql`
          CREATE TABLE events (
            seq     INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id  TEXT NOT NULL REFERENCES jobs (id),
            at      TEXT NOT NULL,
            type    TEXT NOT NULL,
            step_id TEXT,
            data    TEXT NOT NULL CHECK (json_valid(data))
          )`.execute(db);
        await sql`CREATE INDEX events_by_job ON events (job_id, seq)`.execute(db);
        await sql`
          CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
          BEGIN SELECT RAISE(ABORT, 'events is an append-only log: rows cannot be updated'); END`.execute(db);
        await sql`
          CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
          BEGIN SELECT RAISE(ABORT, 'events is an append-only log: rows cannot be deleted'); END`.execute(db);
        await sql`PRAGMA user_version = 1`.execute(db);
      },
    },
  ],
  [
    // Issue 12: the `cancel-now` control request (the CHECK of `jobs.control` allows it), and
    // `jobs.plan_rev`, the revision of a plan that a commit can re-bind (inventory correction).
    // SQLite cannot alter a CHECK constraint, so `jobs` is rebuilt (SQLite's documented
    // procedure: foreign keys are off while migrations run, checked before the commit).
    // Rows keep their rowid (listJobs orders ties by it).
    '0002_cancel_now_and_plan_rev',
    {
      async up(db: Kysely<unknown>): Promise<void> {
        await sql`
          CREATE TABLE jobs_v2 (
            id               TEXT PRIMARY KEY NOT NULL,
            cluster          TEXT NOT NULL,
            operator         TEXT NOT NULL,
            workflow_name    TEXT NOT NULL,
            state            TEXT NOT NULL CHECK (state IN ${sql.raw(JOB_STATES)}),
            allow_concurrent INTEGER NOT NULL DEFAULT 0 CHECK (allow_concurrent IN (0, 1)),
            control          TEXT CHECK (control IN ${sql.raw(CONTROL_REQUESTS_SQL_LIST)}),
            error            TEXT CHECK (error IS NULL OR json_valid(error)),
            fencing_token    INTEGER NOT NULL DEFAULT 0,
            created_at       TEXT NOT NULL,
            updated_at       TEXT NOT NULL,
            updated_seq      INTEGER NOT NULL DEFAULT 0,
            plan_rev         INTEGER NOT NULL DEFAULT 0
          )`.execute(db);
        await sql`
          INSERT INTO jobs_v2 (rowid, id, cluster, operator, workflow_name, state, allow_concurrent, control, error,
            fencing_token, created_at, updated_at, updated_seq, plan_rev)
          SELECT rowid, id, cluster, operator, workflow_name, state, allow_concurrent, control, error,
            fencing_token, created_at, updated_at, updated_seq, 0
          FROM jobs ORDER BY rowid`.execute(db);
        await sql`DROP TABLE jobs`.execute(db);
        await sql`ALTER TABLE jobs_v2 RENAME TO jobs`.execute(db);
        await sql`CREATE INDEX jobs_by_cluster_state ON jobs (cluster, state)`.execute(db);
        await sql`CREATE INDEX jobs_by_created_at ON jobs (created_at)`.execute(db);
        const broken = await sql<{ table: string }>`PRAGMA foreign_key_check`.execute(db);
        if (broken.rows.length > 0) throw new Error(`migration 0002: ${broken.rows.length} rows lost their job: ${JSON.stringify(broken.rows.slice(0, 5))}`);
        await sql`PRAGMA user_version = 2`.execute(db);
      },
    },
  ],
];

/** The schema version this build writes and understands (`PRAGMA user_version`). */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Names of every migration this build knows, in order. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map(([name]) => name);

/** Kysely migration provider over the in-code migration list (no files to ship). */
export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(MIGRATIONS.map(([name, m]) => [name, m]));
  },
};
