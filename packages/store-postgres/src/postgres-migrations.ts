import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { CONTROL_REQUESTS_SQL_LIST, JOB_STATES_SQL_LIST, STEP_STATES_SQL_LIST } from '@scylla-cp/store-sql';

/** Name of the table in which Kysely's `Migrator` records applied migrations (in the store's schema). */
export const POSTGRES_MIGRATION_TABLE = 'schema_migrations';
/** Name of the table Kysely's `Migrator` uses as a lock while migrating. */
export const POSTGRES_MIGRATION_LOCK_TABLE = 'schema_migrations_lock';

/**
 * The migrations, in order. Forward only. Tables are created unqualified: the
 * store's connections set `search_path` to its schema. Never edit a released
 * migration; append a new one.
 */
const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  [
    '0001_initial',
    {
      async up(db: Kysely<unknown>): Promise<void> {
        await sql`
          CREATE TABLE jobs (
            id               text PRIMARY KEY,
            cluster          text NOT NULL,
            operator         text NOT NULL,
            workflow_name    text NOT NULL,
            state            text NOT NULL CHECK (state IN ${sql.raw(JOB_STATES_SQL_LIST)}),
            allow_concurrent boolean NOT NULL DEFAULT false,
            control          text CHECK (control IN ${sql.raw(CONTROL_REQUESTS_SQL_LIST)}),
            error            jsonb,
            fencing_token    integer NOT NULL DEFAULT 0,
            created_at       timestamptz NOT NULL,
            updated_at       timestamptz NOT NULL,
            updated_seq      bigint NOT NULL DEFAULT 0,
            plan_rev         integer NOT NULL DEFAULT 0,
            created_seq      bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            last_commit_key  text
          )`.execute(db);
        await sql`CREATE INDEX jobs_by_cluster_state ON jobs (cluster, state)`.execute(db);
        await sql`CREATE INDEX jobs_by_created_at ON jobs (created_at)`.execute(db);
        await sql`
          CREATE TABLE job_plans (
            job_id        text PRIMARY KEY REFERENCES jobs (id),
            workflow_text text NOT NULL,
            plan          json NOT NULL
          )`.execute(db);
        await sql`
          CREATE TABLE steps (
            job_id      text NOT NULL REFERENCES jobs (id),
            step_id     text NOT NULL,
            node_id     text,
            state       text NOT NULL CHECK (state IN ${sql.raw(STEP_STATES_SQL_LIST)}),
            attempts    integer NOT NULL DEFAULT 0,
            started_at  timestamptz,
            finished_at timestamptz,
            last_error  jsonb,
            result      jsonb,
            PRIMARY KEY (job_id, step_id)
          )`.execute(db);
        await sql`
          CREATE TABLE leases (
            job_id      text PRIMARY KEY REFERENCES jobs (id),
            holder      text NOT NULL,
            token       integer NOT NULL,
            acquired_at timestamptz NOT NULL,
            renewed_at  timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL
          )`.execute(db);
        await sql`
          CREATE TABLE events (
            seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job_id     text NOT NULL REFERENCES jobs (id),
            at         timestamptz NOT NULL,
            type       text NOT NULL,
            step_id    text,
            data       jsonb NOT NULL,
            commit_key text UNIQUE
          )`.execute(db);
        await sql`CREATE INDEX events_by_job ON events (job_id, seq)`.execute(db);
        await sql`
          CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            RAISE EXCEPTION 'events is an append-only log: rows cannot be %d', lower(TG_OP);
          END $$`.execute(db);
        await sql`
          CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
          FOR EACH ROW EXECUTE FUNCTION events_are_append_only()`.execute(db);
        // A step transition in one round trip: lock the job row, check the fencing token and
        // that the job is not final, upsert the steps (started_at keeps the first attempt's),
        // append the events, and (with no event to date it) touch the job. Writes nothing
        // unless p_token is the job's current token and its state is not succeeded/cancelled;
        // returns the job's token and state (no row: no such job). A retried call with the same
        // p_key after a lost connection is a no-op when the first call committed (its first
        // event carries the key).
        await sql`
          CREATE FUNCTION commit_steps(p_job text, p_token integer, p_at timestamptz, p_steps jsonb, p_events jsonb, p_key text)
          RETURNS TABLE (token integer, state text) LANGUAGE plpgsql AS $$
          #variable_conflict use_column
          DECLARE
            cur integer;
            cur_state text;
            r record;
          BEGIN
            SELECT j.fencing_token, j.state INTO cur, cur_state FROM jobs j WHERE j.id = p_job FOR UPDATE;
            IF NOT FOUND THEN
              RETURN;
            END IF;
            token := cur;
            state := cur_state;
            IF p_token < 1 OR cur <> p_token OR cur_state IN ('succeeded', 'cancelled') THEN
              RETURN NEXT;
              RETURN;
            END IF;
            IF jsonb_array_length(p_events) > 0 AND EXISTS (SELECT 1 FROM events WHERE commit_key = p_key || ':0') THEN
              RETURN NEXT;
              RETURN;
            END IF;
            FOR r IN SELECT * FROM jsonb_to_recordset(p_steps) AS x(
                step_id text, node_id text, state text, attempts integer, started_at timestamptz,
                finished_at timestamptz, last_error text, set_error boolean, result text) LOOP
              INSERT INTO steps AS t (job_id, step_id, node_id, state, attempts, started_at, finished_at, last_error, result)
              VALUES (p_job, r.step_id, r.node_id, r.state, r.attempts, r.started_at, r.finished_at, r.last_error::jsonb, r.result::jsonb)
              ON CONFLICT (job_id, step_id) DO UPDATE SET
                node_id = coalesce(excluded.node_id, t.node_id),
                state = excluded.state,
                attempts = excluded.attempts,
                started_at = coalesce(t.started_at, excluded.started_at),
                finished_at = coalesce(excluded.finished_at, t.finished_at),
                last_error = CASE WHEN r.set_error THEN excluded.last_error ELSE t.last_error END,
                result = coalesce(excluded.result, t.result);
            END LOOP;
            INSERT INTO events (job_id, at, type, step_id, data, commit_key)
              SELECT p_job, p_at, e.type, e.step_id, e.data::jsonb, p_key || ':' || e.i
              FROM jsonb_to_recordset(p_events) AS e(i integer, type text, step_id text, data text)
              ORDER BY e.i;
            IF jsonb_array_length(p_events) = 0 THEN
              UPDATE jobs SET updated_at = p_at,
                updated_seq = (SELECT coalesce(max(e.seq), 0) FROM events e WHERE e.job_id = p_job)
              WHERE id = p_job;
            END IF;
            RETURN NEXT;
          END $$`.execute(db);
      },
    },
  ],
  [
    '0002_commit_steps_control',
    {
      async up(db: Kysely<unknown>): Promise<void> {
        // commit_steps learns the control rule of a step's start (issue 17): with
        // p_unless_control, a pending control request refuses the whole call (nothing written)
        // and is returned in `control`; `control` is NULL whenever the call applied (or had
        // been applied: the retried key is checked first).
        await sql`DROP FUNCTION commit_steps(text, integer, timestamptz, jsonb, jsonb, text)`.execute(db);
        await sql`
          CREATE FUNCTION commit_steps(p_job text, p_token integer, p_at timestamptz, p_steps jsonb, p_events jsonb, p_key text,
              p_unless_control boolean)
          RETURNS TABLE (token integer, state text, control text) LANGUAGE plpgsql AS $$
          #variable_conflict use_column
          DECLARE
            cur integer;
            cur_state text;
            cur_control text;
            r record;
          BEGIN
            SELECT j.fencing_token, j.state, j.control INTO cur, cur_state, cur_control FROM jobs j WHERE j.id = p_job FOR UPDATE;
            IF NOT FOUND THEN
              RETURN;
            END IF;
            token := cur;
            state := cur_state;
            control := NULL;
            IF p_token < 1 OR cur <> p_token OR cur_state IN ('succeeded', 'cancelled') THEN
              RETURN NEXT;
              RETURN;
            END IF;
            IF jsonb_array_length(p_events) > 0 AND EXISTS (SELECT 1 FROM events WHERE commit_key = p_key || ':0') THEN
              RETURN NEXT;
              RETURN;
            END IF;
            IF p_unless_control AND cur_control IS NOT NULL THEN
              control := cur_control;
              RETURN NEXT;
              RETURN;
            END IF;
            FOR r IN SELECT * FROM jsonb_to_recordset(p_steps) AS x(
                step_id text, node_id text, state text, attempts integer, started_at timestamptz,
                finished_at timestamptz, last_error text, set_error boolean, result text) LOOP
              INSERT INTO steps AS t (job_id, step_id, node_id, state, attempts, started_at, finished_at, last_error, result)
              VALUES (p_job, r.step_id, r.node_id, r.state, r.attempts, r.started_at, r.finished_at, r.last_error::jsonb, r.result::jsonb)
              ON CONFLICT (job_id, step_id) DO UPDATE SET
                node_id = coalesce(excluded.node_id, t.node_id),
                state = excluded.state,
                attempts = excluded.attempts,
                started_at = coalesce(t.started_at, excluded.started_at),
                finished_at = coalesce(excluded.finished_at, t.finished_at),
                last_error = CASE WHEN r.set_error THEN excluded.last_error ELSE t.last_error END,
                result = coalesce(excluded.result, t.result);
            END LOOP;
            INSERT INTO events (job_id, at, type, step_id, data, commit_key)
              SELECT p_job, p_at, e.type, e.step_id, e.data::jsonb, p_key || ':' || e.i
              FROM jsonb_to_recordset(p_events) AS e(i integer, type text, step_id text, data text)
              ORDER BY e.i;
            IF jsonb_array_length(p_events) = 0 THEN
              UPDATE jobs SET updated_at = p_at,
                updated_seq = (SELECT coalesce(max(e.seq), 0) FROM events e WHERE e.job_id = p_job)
              WHERE id = p_job;
            END IF;
            RETURN NEXT;
          END $$`.execute(db);
      },
    },
  ],
];

/** Names of every migration this build knows, in order. */
export const POSTGRES_MIGRATION_NAMES: readonly string[] = MIGRATIONS.map(([name]) => name);

/** Kysely migration provider over the in-code migration list (no files to ship). */
export const postgresMigrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(MIGRATIONS.map(([name, m]) => [name, m]));
  },
};
