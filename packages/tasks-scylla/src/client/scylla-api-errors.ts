import { isErrorKind, retryableOf, ScyllaCpError, type ScyllaCpErrorOptions } from '@scylla-cp/core';

/** Where a failed Scylla REST call went. */
export interface ScyllaApiCallInfo {
  /** HTTP method, upper case. */
  method: string;
  /** Request path with query string, e.g. `/storage_service/repair_async/ks?id=3`. */
  path: string;
  /** `host:port` of the node's REST API. */
  origin: string;
  /** HTTP status of the reply; absent when no reply arrived (connection failure, timeout). */
  status?: number;
  /** `message` of Scylla's `{"message", "code"}` error body (or the raw body, cut to 500 chars). */
  scyllaMessage?: string;
}

function describe(info: ScyllaApiCallInfo): string {
  return `${info.method} http://${info.origin}${info.path}`;
}

/** Options of a {@link ScyllaApiError}. */
export interface ScyllaApiErrorOptions extends ScyllaCpErrorOptions {
  /**
   * Whether asking again may get an answer: `true` for no connection, a timeout, a 5xx or 429,
   * a 404 a starting node gives (then `reason` says what happened).
   * @default false (Scylla rejected the call)
   */
  retryable?: boolean;
  /** With `retryable`: what happened, e.g. `no connection (ECONNREFUSED)` or `500 <message>`. */
  reason?: string;
}

/**
 * A failed Scylla REST call: one class whose `retryable` says which kind of failure it is.
 *
 * - `retryable: false` (the default; code `SCYLLA_API_REJECTED`): Scylla answered with an error
 *   that asking again will not change: a 4xx reply (`400 unknown repair id 5`, `400 Missing
 *   mandatory parameter 'host_id'`, `403 Cannot repair tablet keyspace`), or a 200 reply whose body
 *   does not decode as the declared type (`SCYLLA_API_BAD_RESPONSE`). The engine halts the node
 *   and notifies.
 * - `retryable: true` ({@link ScyllaApiError.unavailable}): no usable answer now, maybe later:
 *   connection refused or reset (`SCYLLA_API_UNREACHABLE`), a connect/headers/body timeout
 *   (`SCYLLA_API_TIMEOUT`), a 5xx or 429 reply (`SCYLLA_API_SERVER_ERROR`, e.g. `500
 *   std::runtime_error (The gossiper is not ready yet)`), or a 404 that a starting node gives
 *   (`SCYLLA_API_NOT_READY`: the router's `{"message":"Not found"}` for a route that Scylla's API
 *   definitions declare, because the API group is not registered yet; and `local host ID is not
 *   yet set`). The engine retries the step by its retry policy; a condition poll that throws it
 *   counts as a failed poll.
 *
 * Through core's error root, `err instanceof RecoverableError` / `UnrecoverableError` follow
 * `retryable`, and `classifyError` reads it. `status` and `scyllaMessage` carry the reply when one
 * arrived; tasks that expect a particular rejection test them (e.g. `err instanceof ScyllaApiError
 * && !err.retryable && err.status === 400`). Every code is listed in `TASKS_SCYLLA_ERROR_CODES`.
 */
export class ScyllaApiError extends ScyllaCpError {
  static override readonly kind: string = 'ScyllaApiError';

  /** Also true for errors of an older copy of this package, which used two classes. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === ScyllaApiError && isErrorKind(value, 'ScyllaApiUnavailableError')) return true;
    return super[Symbol.hasInstance](value);
  }

  /** A call that got no usable answer now (retryable); `reason` says what happened. */
  static unavailable(info: ScyllaApiCallInfo, reason: string, options: Omit<ScyllaApiErrorOptions, 'retryable' | 'reason'> = {}): ScyllaApiUnavailableError {
    return new ScyllaApiError(info, { ...options, retryable: true, reason }) as ScyllaApiUnavailableError;
  }

  /** HTTP status of the reply; `undefined` when no reply arrived (only for retryable ones). */
  readonly status: number | undefined;
  /** The error body's `message`, when a reply arrived. */
  readonly scyllaMessage: string | undefined;
  /** The call that failed. */
  readonly call: ScyllaApiCallInfo;
  declare readonly retryable: boolean;

  constructor(info: ScyllaApiCallInfo, options: ScyllaApiErrorOptions = {}) {
    const { reason, retryable = false, ...rest } = options;
    super(
      retryable
        ? `Scylla REST API ${describe(info)}: ${reason ?? `${info.status ?? 'no reply'} ${info.scyllaMessage ?? ''}`.trim()}`
        : `Scylla REST API ${describe(info)} answered ${info.status}: ${info.scyllaMessage}`,
      {
        code: retryable ? 'SCYLLA_API_UNAVAILABLE' : 'SCYLLA_API_REJECTED',
        ...rest,
        retryable,
        details: { ...info, ...rest.details },
      },
    );
    this.status = info.status;
    this.scyllaMessage = info.scyllaMessage;
    this.call = info;
  }
}

/** A {@link ScyllaApiError} that was rejected (not retryable). */
export type ScyllaApiRejectedError = ScyllaApiError & { readonly retryable: false };
/** A {@link ScyllaApiError} that may get an answer later (retryable). */
export type ScyllaApiUnavailableError = ScyllaApiError & { readonly retryable: true };

/**
 * `instanceof` target for a rejected {@link ScyllaApiError} (not retryable): what
 * `instanceof ScyllaApiError` meant while the retryable failures were another class.
 */
export const ScyllaApiRejectedError: { [Symbol.hasInstance](value: unknown): value is ScyllaApiRejectedError } = Object.freeze({
  [Symbol.hasInstance]: (value: unknown): value is ScyllaApiRejectedError => value instanceof ScyllaApiError && retryableOf(value) === false,
});

/**
 * @deprecated Use `err instanceof ScyllaApiError && err.retryable`, and build one with
 * {@link ScyllaApiError.unavailable}. Kept as an `instanceof` target: true for a retryable
 * {@link ScyllaApiError} (also one of an older copy of this package).
 */
export const ScyllaApiUnavailableError: { [Symbol.hasInstance](value: unknown): value is ScyllaApiUnavailableError } = Object.freeze({
  [Symbol.hasInstance]: (value: unknown): value is ScyllaApiUnavailableError =>
    value instanceof ScyllaApiError && (retryableOf(value) === true || isErrorKind(value, 'ScyllaApiUnavailableError')),
});

/** HTTP status of a Scylla REST failure, or `undefined`. */
export function scyllaApiStatus(error: unknown): number | undefined {
  if (error instanceof ScyllaApiError) return error.status;
  return undefined;
}
