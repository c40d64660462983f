import { ScyllaCpError, StoreUnavailableError } from '@scylla-cp/core';

/** Node socket errors that mean "PostgreSQL cannot be reached right now". */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** SQLSTATEs after which the same call, retried on a new connection, can succeed. */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown (a fast shutdown or restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Messages of `pg` (and `pg-pool`) for a connection that ended or could not be made. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed|terminating connection|the database system is (starting up|shutting down|in recovery mode)|Connection ended/i;

/**
 * Whether `error` means the connection to PostgreSQL was lost or could not be
 * made (a restart, a failover, a network blip): the call may be retried on a
 * new connection. A lost connection may leave the outcome of the last write
 * unknown; the store's writes are idempotent for that reason.
 */
export function isTransientPostgresError(error: unknown): boolean {
  if (error instanceof ScyllaCpError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (CONNECTION_MESSAGES.test(message)) return true;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== error && isTransientPostgresError(cause);
}

/** SQLSTATE classes (first two characters) and codes that mean "cannot record". */
const UNAVAILABLE_CLASSES = new Set(['53', '57', '58', 'XX', '08']);
const UNAVAILABLE_CODES = new Set(['42501', '25006', '3D000', '28000', '28P01']);

/**
 * Our own errors pass through; a failure to reach or write PostgreSQL becomes
 * `StoreUnavailableError` naming the store (`where`, without password), the
 * action `what`, the cause and what to do. Other errors pass through.
 */
export function translatePostgresError(error: unknown, where: string, what: string, gaveUpAfterMs?: number): unknown {
  if (error instanceof ScyllaCpError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const transient = isTransientPostgresError(error);
  const unavailable =
    transient || (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2))));
  if (!unavailable) return error;
  const why = transient
    ? `PostgreSQL could not be reached${gaveUpAfterMs === undefined ? '' : ` for ${gaveUpAfterMs} ms`}`
    : code === '42501'
      ? 'permission denied'
      : code === '25006'
        ? 'the server is read-only (a standby?)'
        : 'the server refused the write';
  return new StoreUnavailableError(
    `job store ${where}: cannot ${what}: ${why} (${typeof code === 'string' ? `${code}: ` : ''}${message}); ` +
      (what === 'open'
        ? 'check that PostgreSQL runs and the connection settings are right'
        : 'the job must stop; a write cut off by a lost connection is applied at most once, so resuming the job is safe once PostgreSQL is back'),
    { cause: error, details: { where, pgCode: code } },
  );
}
