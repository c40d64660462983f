import { ScyllaCpError, StoreUnavailableError } from '@scylla-cp/core';
import { NotAStoreDatabaseError } from './sqlite-store-errors.js';

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
 * Our own errors pass through; SQLite and I/O failures of `what` (an action:
 * `open`, `commit a transition`, ...) on the file `filePath` become
 * `StoreUnavailableError` (or `NotAStoreDatabaseError`) saying what to do.
 */
export function translateSqliteError(error: unknown, filePath: string, what: string): unknown {
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
