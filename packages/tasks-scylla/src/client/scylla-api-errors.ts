import { RecoverableError, UnrecoverableError, type ScyllaCpErrorOptions } from '@scylla-cp/core';

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

/**
 * Scylla answered a REST call with an error that asking again will not change: a 4xx reply
 * (`400 unknown repair id 5`, `400 Missing mandatory parameter 'host_id'`, `403 Cannot repair
 * tablet keyspace`), or a 200 reply whose body does not decode as the declared type (code
 * `SCYLLA_API_BAD_RESPONSE`). Unrecoverable: the engine halts the node and notifies.
 *
 * `status` and `scyllaMessage` carry the reply; tasks that expect a particular rejection test
 * them (e.g. `err instanceof ScyllaApiError && err.status === 400`).
 */
export class ScyllaApiError extends UnrecoverableError {
  static override readonly kind: string = 'ScyllaApiError';
  /** HTTP status of the reply. */
  readonly status: number;
  /** The error body's `message`. */
  readonly scyllaMessage: string;
  /** The call that failed. */
  readonly call: ScyllaApiCallInfo;

  constructor(info: ScyllaApiCallInfo & { status: number; scyllaMessage: string }, options: ScyllaCpErrorOptions = {}) {
    super(`Scylla REST API ${describe(info)} answered ${info.status}: ${info.scyllaMessage}`, {
      code: 'SCYLLA_API_REJECTED',
      ...options,
      details: { ...info, ...options.details },
    });
    this.status = info.status;
    this.scyllaMessage = info.scyllaMessage;
    this.call = info;
  }
}

/**
 * A Scylla REST call got no usable answer now, and may get one later: connection refused or
 * reset (code `SCYLLA_API_UNREACHABLE`), a connect/headers/body timeout (`SCYLLA_API_TIMEOUT`),
 * a 5xx or 429 reply (`SCYLLA_API_SERVER_ERROR`, e.g. `500 std::runtime_error (The gossiper is
 * not ready yet)`), or a 404 that a starting node gives (`SCYLLA_API_NOT_READY`: the router's
 * `{"message":"Not found"}` for a route that Scylla's API definitions declare, because the API
 * group is not registered yet; and `local host ID is not yet set`). Recoverable: the engine
 * retries the step by its retry policy; a condition poll that throws it counts as a failed poll.
 *
 * `status` and `scyllaMessage` are set when a reply arrived.
 */
export class ScyllaApiUnavailableError extends RecoverableError {
  static override readonly kind: string = 'ScyllaApiUnavailableError';
  /** HTTP status of the reply, when one arrived. */
  readonly status: number | undefined;
  /** The error body's `message`, when a reply arrived. */
  readonly scyllaMessage: string | undefined;
  /** The call that failed. */
  readonly call: ScyllaApiCallInfo;

  constructor(info: ScyllaApiCallInfo, reason: string, options: ScyllaCpErrorOptions = {}) {
    super(`Scylla REST API ${describe(info)}: ${reason}`, {
      code: 'SCYLLA_API_UNAVAILABLE',
      ...options,
      details: { ...info, ...options.details },
    });
    this.status = info.status;
    this.scyllaMessage = info.scyllaMessage;
    this.call = info;
  }
}

/** HTTP status of a Scylla REST failure (either class), or `undefined`. */
export function scyllaApiStatus(error: unknown): number | undefined {
  if (error instanceof ScyllaApiError || error instanceof ScyllaApiUnavailableError) return error.status;
  return undefined;
}
