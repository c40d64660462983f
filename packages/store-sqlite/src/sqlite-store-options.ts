import { InvalidInputError } from '@scylla-cp/core';

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

/** {@link SqliteStoreOptions} with every default applied. */
export type ResolvedSqliteStoreOptions = Required<SqliteStoreOptions>;

/** Applies the defaults and checks the values. @throws InvalidInputError (`INVALID_OPTION`) */
export function resolveSqliteStoreOptions(options: SqliteStoreOptions): ResolvedSqliteStoreOptions {
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
  return { synchronous, busyTimeoutMs, readOnly: options.readOnly ?? false, createDirectory: options.createDirectory ?? true };
}
