import { isErrorKind, retryableOf, ScyllaCpError, type ScyllaCpErrorOptions } from '@scylla-cp/core';

/**
 * What went wrong with a Prometheus request.
 *
 * The first seven are the `errorType` values of the Prometheus HTTP API; the
 * rest are produced by {@link PrometheusClient} itself:
 * - `http`: a non-2xx reply that is not a Prometheus error object (a proxy's 502 page, a 401);
 * - `connection`: Prometheus could not be reached (refused, reset, DNS failure);
 * - `client_timeout`: no complete reply within the client's `timeoutSeconds`;
 * - `invalid_json`: a 2xx reply whose body is not JSON (a proxy page, a truncated body);
 * - `unexpected_response`: JSON that is not a Prometheus API response, or a result
 *   type the caller cannot use (e.g. a string where numbers are needed).
 *
 * A server may send an `errorType` not listed here; it is kept verbatim.
 */
export type PrometheusErrorType =
  | 'bad_data'
  | 'timeout'
  | 'canceled'
  | 'execution'
  | 'unavailable'
  | 'internal'
  | 'not_found'
  | 'http'
  | 'connection'
  | 'client_timeout'
  | 'invalid_json'
  | 'unexpected_response'
  | (string & {});

/** Error types that are worth polling or retrying again. */
const RECOVERABLE_TYPES: ReadonlySet<string> = new Set([
  'timeout',
  'canceled',
  'unavailable',
  'internal',
  'connection',
  'client_timeout',
  'invalid_json',
]);

/** Error types that polling again will not fix. */
const UNRECOVERABLE_TYPES: ReadonlySet<string> = new Set(['bad_data', 'execution', 'not_found', 'unexpected_response']);

/**
 * The one rule deciding whether a Prometheus failure is recoverable (a
 * condition poll that hit it counts as a failed poll, a task retries it) or
 * unrecoverable (the wait fails at once, a human must fix something).
 *
 * - Recoverable: `timeout`, `canceled`, `unavailable`, `internal` (the server
 *   is overloaded, restarting or broken for now), `connection` (Prometheus
 *   down or unreachable), `client_timeout`, and `invalid_json` (a non-JSON body
 *   such as a proxy's error page or a truncated reply).
 * - Unrecoverable: `bad_data` (the PromQL or a parameter is invalid),
 *   `execution` (the query cannot be evaluated on this data, e.g. many-to-many
 *   matching), `not_found` (wrong URL or API path), `unexpected_response`
 *   (the URL does not point at a Prometheus API).
 * - Anything else (`http`, unknown server error types): by HTTP status; 5xx
 *   and 429 are recoverable, any other status (401, 403, 404, ...) is not.
 */
export function isRecoverablePrometheusError(errorType: string, httpStatus?: number): boolean {
  if (RECOVERABLE_TYPES.has(errorType)) return true;
  if (UNRECOVERABLE_TYPES.has(errorType)) return false;
  return httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429);
}

/** What a {@link PrometheusError} carries besides its message. */
export interface PrometheusErrorInfo {
  /** What went wrong; see {@link PrometheusErrorType}. */
  errorType: PrometheusErrorType;
  /** The HTTP status of the reply, when there was one. */
  httpStatus?: number;
  /** The URL requested, e.g. `http://prom:9090/api/v1/query`. */
  endpoint: string;
  /** The PromQL expression, when the request was a query. */
  query?: string;
}

function errorOptions(info: PrometheusErrorInfo, options: ScyllaCpErrorOptions): ScyllaCpErrorOptions {
  const details: Record<string, unknown> = { errorType: info.errorType, endpoint: info.endpoint };
  if (info.httpStatus !== undefined) details.httpStatus = info.httpStatus;
  if (info.query !== undefined) details.query = info.query;
  return { ...options, code: `PROMETHEUS_${info.errorType.toUpperCase()}`, details: { ...details, ...options.details } };
}

/**
 * Any error raised for a failed Prometheus request, recoverable or not by
 * {@link isRecoverablePrometheusError}: one class whose `retryable` (and
 * `recoverable`, the same value) says which. A recoverable one is a failed poll
 * for a condition wait (which keeps polling until its timeout) and is retried by
 * a task's retry policy; an unrecoverable one (an invalid query, a wrong URL, bad
 * credentials) fails the wait at once. Through core's error root,
 * `err instanceof RecoverableError` / `UnrecoverableError` follow `retryable`,
 * and `classifyError` reads it. `instanceof PrometheusError` works across
 * package copies. Code: `PROMETHEUS_<ERRORTYPE>` (see `CONDITIONS_ERROR_CODES`).
 */
export class PrometheusError extends ScyllaCpError {
  static override readonly kind: string = 'PrometheusError';

  /**
   * Also true for errors of an older copy of this package, which used two classes
   * (`PrometheusRecoverableError`, `PrometheusUnrecoverableError`).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === PrometheusError && LEGACY_KINDS.some((k) => isErrorKind(value, k))) return true;
    return super[Symbol.hasInstance](value);
  }

  /** Builds the error for `info`; its retry intent by {@link isRecoverablePrometheusError}. */
  static create(message: string, info: PrometheusErrorInfo, options: ScyllaCpErrorOptions = {}): PrometheusError {
    return new PrometheusError(message, info, options);
  }

  readonly errorType: PrometheusErrorType;
  readonly httpStatus: number | undefined;
  readonly endpoint: string;
  readonly query: string | undefined;
  /** Whether asking again may help: the same value as `retryable`, by {@link isRecoverablePrometheusError}. */
  readonly recoverable: boolean;
  declare readonly retryable: boolean;

  constructor(message: string, info: PrometheusErrorInfo, options: Omit<ScyllaCpErrorOptions, 'retryable'> = {}) {
    const recoverable = isRecoverablePrometheusError(info.errorType, info.httpStatus);
    super(message, { ...errorOptions(info, options), retryable: recoverable });
    this.recoverable = recoverable;
    this.errorType = info.errorType;
    this.httpStatus = info.httpStatus;
    this.endpoint = info.endpoint;
    this.query = info.query;
  }
}

const LEGACY_KINDS = ['PrometheusRecoverableError', 'PrometheusUnrecoverableError'];

/** A {@link PrometheusError} that is recoverable. */
export type PrometheusRecoverableError = PrometheusError & { readonly recoverable: true; readonly retryable: true };
/** A {@link PrometheusError} that is not recoverable. */
export type PrometheusUnrecoverableError = PrometheusError & { readonly recoverable: false; readonly retryable: false };

/**
 * @deprecated Use `err instanceof PrometheusError && err.recoverable`. Kept as an
 * `instanceof` target: true for a recoverable {@link PrometheusError}.
 */
export const PrometheusRecoverableError: { [Symbol.hasInstance](value: unknown): value is PrometheusRecoverableError } = Object.freeze({
  [Symbol.hasInstance]: (value: unknown): value is PrometheusRecoverableError => value instanceof PrometheusError && (retryableOf(value) === true || isErrorKind(value, 'PrometheusRecoverableError')),
});

/**
 * @deprecated Use `err instanceof PrometheusError && !err.recoverable`. Kept as an
 * `instanceof` target: true for an unrecoverable {@link PrometheusError}.
 */
export const PrometheusUnrecoverableError: { [Symbol.hasInstance](value: unknown): value is PrometheusUnrecoverableError } = Object.freeze({
  [Symbol.hasInstance]: (value: unknown): value is PrometheusUnrecoverableError => value instanceof PrometheusError && (retryableOf(value) === false || isErrorKind(value, 'PrometheusUnrecoverableError')),
});
