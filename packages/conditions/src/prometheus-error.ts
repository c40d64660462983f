import { isErrorKind, RecoverableError, UnrecoverableError, type ScyllaCpErrorOptions } from '@scylla-cp/core';

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
 * A Prometheus failure that may go away if the request is made again (see
 * {@link isRecoverablePrometheusError}). A condition poll that throws it is a
 * failed poll; the wait keeps polling until its timeout.
 */
export class PrometheusRecoverableError extends RecoverableError {
  static override readonly kind: string = 'PrometheusRecoverableError';
  readonly errorType: PrometheusErrorType;
  readonly httpStatus: number | undefined;
  readonly endpoint: string;
  readonly query: string | undefined;
  /** Always `true`: lets code tell the two Prometheus error classes apart without `instanceof`. */
  readonly recoverable = true as const;

  constructor(message: string, info: PrometheusErrorInfo, options: ScyllaCpErrorOptions = {}) {
    super(message, errorOptions(info, options));
    this.errorType = info.errorType;
    this.httpStatus = info.httpStatus;
    this.endpoint = info.endpoint;
    this.query = info.query;
  }
}

/**
 * A Prometheus failure that asking again will not fix (see
 * {@link isRecoverablePrometheusError}): an invalid query, a wrong URL, bad
 * credentials. A condition poll that throws it fails the wait at once.
 */
export class PrometheusUnrecoverableError extends UnrecoverableError {
  static override readonly kind: string = 'PrometheusUnrecoverableError';
  readonly errorType: PrometheusErrorType;
  readonly httpStatus: number | undefined;
  readonly endpoint: string;
  readonly query: string | undefined;
  /** Always `false`: lets code tell the two Prometheus error classes apart without `instanceof`. */
  readonly recoverable = false as const;

  constructor(message: string, info: PrometheusErrorInfo, options: ScyllaCpErrorOptions = {}) {
    super(message, errorOptions(info, options));
    this.errorType = info.errorType;
    this.httpStatus = info.httpStatus;
    this.endpoint = info.endpoint;
    this.query = info.query;
  }
}

/**
 * Any error raised for a failed Prometheus request: a
 * {@link PrometheusRecoverableError} (extends core's `RecoverableError`) or a
 * {@link PrometheusUnrecoverableError} (extends `UnrecoverableError`), chosen by
 * {@link isRecoverablePrometheusError}. Use `err instanceof PrometheusError` to
 * catch both (works across package copies), and `err.recoverable` /
 * `err.errorType` to tell them apart.
 */
export type PrometheusError = PrometheusRecoverableError | PrometheusUnrecoverableError;

/** The value side of {@link PrometheusError}: an `instanceof` target and a factory. */
export const PrometheusError: {
  /** True for either Prometheus error class, from any copy of this package. */
  [Symbol.hasInstance](value: unknown): value is PrometheusError;
  /** Builds the right class for `info` by {@link isRecoverablePrometheusError}. */
  create(message: string, info: PrometheusErrorInfo, options?: ScyllaCpErrorOptions): PrometheusError;
} = Object.freeze({
  [Symbol.hasInstance](value: unknown): value is PrometheusError {
    return isErrorKind(value, PrometheusRecoverableError.kind) || isErrorKind(value, PrometheusUnrecoverableError.kind);
  },
  create(message: string, info: PrometheusErrorInfo, options: ScyllaCpErrorOptions = {}): PrometheusError {
    return isRecoverablePrometheusError(info.errorType, info.httpStatus)
      ? new PrometheusRecoverableError(message, info, options)
      : new PrometheusUnrecoverableError(message, info, options);
  },
});
