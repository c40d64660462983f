import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { SqlStoreSchema } from '@scylla-cp/store-sql';
import { POSTGRES_MIGRATION_LOCK_TABLE, POSTGRES_MIGRATION_NAMES, POSTGRES_MIGRATION_TABLE, postgresMigrationProvider } from './postgres-migrations.js';
import type { ResolvedPostgresStoreOptions } from './postgres-store-options.js';
import { PostgresSchemaTooNewError } from './postgres-store-errors.js';

/** The PostgreSQL schema as Kysely sees it: timestamps read back as ms since epoch, JSON as text. */
export type PostgresStoreSchema = SqlStoreSchema<number>;

/** An open, migrated store database: the pool and Kysely over it. */
export interface OpenPostgresDatabase {
  pool: pg.Pool;
  db: Kysely<PostgresStoreSchema>;
  /** `postgres://user@host:port/database#schema`, without password, for messages. */
  where: string;
}

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date;

/**
 * Type parsers of the store's connections: `int8` as a JS number (sequence
 * numbers stay far below 2^53), `json`/`jsonb` as their text (parsed by the
 * shared row mapping, which tells a JSON `null` from none), `timestamptz` as
 * ms since epoch.
 */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
    switch (oid) {
      case pg.types.builtins.INT8:
        return (v: string) => Number(v);
      case pg.types.builtins.JSON:
      case pg.types.builtins.JSONB:
        return (v: string) => v;
      case pg.types.builtins.TIMESTAMPTZ:
        return (v: string) => parseTimestamptz(v).getTime();
      default:
        return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
    }
  },
};

/** The store's `pg.Pool`: its own type parsers, `search_path` set to the store's schema, idle-client errors absorbed. */
export function createPool(options: ResolvedPostgresStoreOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'scylla-cp',
    ...options.poolConfig,
    options: `-c search_path=${options.schema}`,
    types: TYPES as pg.CustomTypesConfig,
  });
  // An idle connection that the server closes (restart, failover) emits 'error' on the
  // pool; without a listener that would crash the process. The pool drops the client and
  // the next call connects again.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Opens the store: creates its schema when missing, refuses a schema written by a newer
 * build ({@link PostgresSchemaTooNewError}, nothing changed), and applies pending
 * migrations with Kysely's `Migrator`, all under a session advisory lock so that
 * processes opening one database at once migrate it once.
 */
export async function openPostgresDatabase(options: ResolvedPostgresStoreOptions): Promise<OpenPostgresDatabase> {
  const pool = createPool(options);
  const where = describe(pool, options.schema);
  const db = new Kysely<PostgresStoreSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', ['scylla-cp:migrate', options.schema]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
        const table = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${options.schema}.${POSTGRES_MIGRATION_TABLE}`]);
        const applied = table.rows[0]?.t
          ? (await client.query<{ name: string }>(`SELECT name FROM ${options.schema}.${POSTGRES_MIGRATION_TABLE} ORDER BY name`)).rows.map((r) => r.name)
          : [];
        const unknown = applied.filter((name) => !POSTGRES_MIGRATION_NAMES.includes(name));
        if (unknown.length > 0) throw new PostgresSchemaTooNewError(where, unknown);
        if (applied.length < POSTGRES_MIGRATION_NAMES.length) {
          const migrator = new Migrator({
            db,
            provider: postgresMigrationProvider,
            migrationTableName: POSTGRES_MIGRATION_TABLE,
            migrationLockTableName: POSTGRES_MIGRATION_LOCK_TABLE,
            migrationTableSchema: options.schema,
          });
          const { error } = await migrator.migrateToLatest();
          if (error !== undefined) throw error;
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', ['scylla-cp:migrate', options.schema]);
      }
    } finally {
      client.release();
    }
    await sql`SELECT 1`.execute(db);
    return { pool, db, where };
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
}

function describe(pool: pg.Pool, schema: string): string {
  const o = pool.options as pg.PoolConfig;
  let host = o.host;
  let port = o.port;
  let database = o.database;
  let user = o.user;
  if (o.connectionString !== undefined) {
    try {
      const u = new URL(o.connectionString);
      host ??= u.hostname;
      port ??= u.port === '' ? undefined : Number(u.port);
      database ??= decodeURIComponent(u.pathname.slice(1));
      user ??= decodeURIComponent(u.username);
    } catch {
      // not a URL (libpq key=value string): leave what pg was given explicitly
    }
  }
  return `postgres://${user ?? ''}${user ? '@' : ''}${host ?? 'localhost'}:${port ?? 5432}/${database ?? ''}#${schema}`;
}
