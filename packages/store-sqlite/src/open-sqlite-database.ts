import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { StoreUnavailableError } from '@scylla-cp/core';
import { MIGRATION_LOCK_TABLE, MIGRATION_NAMES, MIGRATION_TABLE, SCHEMA_VERSION, migrationProvider } from './migrations.js';
import type { StoreSchema } from './schema.js';
import type { ResolvedSqliteStoreOptions } from './sqlite-store-options.js';
import { NotAStoreDatabaseError, SchemaTooNewError } from './sqlite-store-errors.js';
import { translateSqliteError } from './translate-sqlite-error.js';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** An open, migrated job database: the better-sqlite3 connection and Kysely over it. */
export interface OpenSqliteDatabase {
  sqlite: Database.Database;
  db: Kysely<StoreSchema>;
}

/**
 * Opens the job database at `filePath` (`:memory:` for an in-memory one), in
 * four steps, writing nothing before the third:
 * 1. file checks: a directory or a non-SQLite file is refused before SQLite touches it;
 * 2. schema gate: a schema newer than this build, or another application's
 *    database, is refused;
 * 3. pragmas: WAL (unless read-only), `synchronous`, `busy_timeout`;
 * 4. Kysely's `Migrator` applies pending migrations; then `foreign_keys=ON`.
 * @throws NotAStoreDatabaseError, SchemaTooNewError, StoreUnavailableError
 */
export async function openSqliteDatabase(filePath: string, options: ResolvedSqliteStoreOptions): Promise<OpenSqliteDatabase> {
  const { readOnly, synchronous, busyTimeoutMs } = options;
  if (filePath !== ':memory:') {
    checkFile(filePath, readOnly);
    if (!readOnly && options.createDirectory) fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  }

  let sqlite: Database.Database;
  try {
    sqlite = new Database(filePath, { readonly: readOnly, fileMustExist: readOnly, timeout: busyTimeoutMs });
  } catch (error) {
    throw translateSqliteError(error, filePath, 'open');
  }
  let db: Kysely<StoreSchema> | undefined;
  try {
    const { fileVersion, pending } = schemaGate(sqlite, filePath);
    if (!readOnly) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${synchronous}`);
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Foreign keys are enforced from the end of the migrations on: a migration that
    // rebuilds a table (SQLite's way to change a constraint) needs them off, and
    // checks them itself (PRAGMA foreign_key_check) before it commits.
    sqlite.pragma('foreign_keys = OFF');
    db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
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
    sqlite.pragma('foreign_keys = ON');
    return { sqlite, db };
  } catch (error) {
    if (db !== undefined) await db.destroy().catch(() => undefined);
    else sqlite.close();
    throw translateSqliteError(error, filePath, 'open');
  }
}

/** Reads the schema version before anything is written; refuses files this build must not touch. */
function schemaGate(sqlite: Database.Database, filePath: string): { fileVersion: number; pending: boolean } {
  const fileVersion = sqlite.pragma('user_version', { simple: true }) as number;
  const hasMigrationTable =
    sqlite.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(MIGRATION_TABLE) !== undefined;
  const applied = hasMigrationTable ? (sqlite.prepare(`SELECT name FROM ${MIGRATION_TABLE} ORDER BY name`).pluck().all() as string[]) : [];
  const unknown = applied.filter((name) => !MIGRATION_NAMES.includes(name));
  if (fileVersion > SCHEMA_VERSION || unknown.length > 0) {
    throw new SchemaTooNewError(filePath, Math.max(fileVersion, SCHEMA_VERSION + unknown.length), SCHEMA_VERSION);
  }
  if (!hasMigrationTable && fileVersion === 0) {
    const foreign = sqlite.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().get() as number;
    if (foreign > 0) {
      throw new NotAStoreDatabaseError(filePath, 'the file is a SQLite database of another application (it has tables but no scylla-cp schema)');
    }
  }
  return { fileVersion, pending: fileVersion < SCHEMA_VERSION || applied.length < MIGRATION_NAMES.length };
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
