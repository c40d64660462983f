import { isErrorKind, retryableOf } from './scylla-cp-error.js';

/** How the engine treats a failure. */
export type ErrorClass = 'recoverable' | 'unrecoverable';

/** Node.js / undici error codes that mean "the network or the peer hiccuped". */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function statusOf(err: Record<string, unknown>): number | undefined {
  for (const key of ['status', 'statusCode']) {
    const v = err[key];
    if (typeof v === 'number') return v;
  }
  return undefined;
}

/**
 * The one rule that decides whether a thrown value is worth retrying.
 *
 * 1. A scylla-cp error that states its retry intent (`retryable`, see
 *    `ScyllaCpErrorOptions`) → recoverable when `true`, unrecoverable when
 *    `false`: every `RecoverableError`, `UnrecoverableError` (including
 *    `ConditionTimeoutError`), and single classes such as `PrometheusError`.
 *    Then, for errors of an older copy of core without the flag,
 *    `RecoverableError` / `UnrecoverableError` by kind. Both work across copies.
 * 2. An `AbortError` (the job was aborted) → unrecoverable.
 * 3. Connection errors and timeouts (Node `ECONNREFUSED`, `ECONNRESET`,
 *    `ETIMEDOUT`, `EPIPE`, `EHOSTUNREACH`, `ENETUNREACH`, `EAI_AGAIN`, undici
 *    connect/headers/body timeouts and socket errors) → recoverable.
 * 4. An error carrying an HTTP `status`/`statusCode` of 5xx or 429 → recoverable;
 *    any other status → unrecoverable.
 * 5. Otherwise the `cause` chain is examined (up to 8 levels) by the same rules.
 * 6. Anything else → unrecoverable: never retry what you do not understand.
 */
export function classifyError(error: unknown): ErrorClass {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const retryable = retryableOf(current);
    if (retryable !== undefined) return retryable ? 'recoverable' : 'unrecoverable';
    if (isErrorKind(current, 'RecoverableError')) return 'recoverable';
    if (isErrorKind(current, 'UnrecoverableError')) return 'unrecoverable';
    if (typeof current !== 'object') return 'unrecoverable';
    const rec = current as Record<string, unknown>;
    if (rec.name === 'AbortError') return 'unrecoverable';
    if (typeof rec.code === 'string' && TRANSIENT_CODES.has(rec.code)) return 'recoverable';
    const status = statusOf(rec);
    if (status !== undefined) return status >= 500 || status === 429 ? 'recoverable' : 'unrecoverable';
    current = rec.cause;
  }
  return 'unrecoverable';
}
