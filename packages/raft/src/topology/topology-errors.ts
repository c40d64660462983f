/**
 * Errors of the topology module. `@scylla-cp/raft` depends on nothing of ours,
 * so these do not extend `@scylla-cp/core`'s classes; they carry the same
 * `Symbol.for('@scylla-cp/core.error-kinds')` marker, so core's `isErrorKind()`
 * and `classifyError()` recognise them, and `instanceof` works across copies
 * of the package.
 */
const KINDS = Symbol.for('@scylla-cp/core.error-kinds');

/** Options of every topology error. */
export interface TopologyErrorOptions {
  readonly cause?: unknown;
  /** Extra JSON-serializable context. */
  readonly details?: Record<string, unknown>;
}

/** Root of the topology module's errors. `code` is stable and machine-readable. */
export class TopologyError extends Error {
  /** The name matched by `instanceof` across package copies. */
  static readonly kind: string = 'TopologyError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as Record<symbol, unknown>)[KINDS];
    return Array.isArray(kinds) && kinds.includes((this as unknown as { kind: string }).kind);
  }

  /** A stable machine-readable code, e.g. `STALE_TOPOLOGY` (every code is listed in `RAFT_ERROR_CODES`). */
  readonly code: string;
  /** Extra context. */
  readonly details: Record<string, unknown>;
  /** True when retrying later may succeed (the class's static `recoverable`). @default false */
  readonly retryable: boolean;

  constructor(message: string, code: string, options: TopologyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.prototype.hasOwnProperty.call(c, 'kind')) kinds.push((c as unknown as { kind: string }).kind);
    }
    // Recoverable topology errors are also marked RecoverableError for core's classifier.
    if ((new.target as unknown as { recoverable?: boolean }).recoverable) kinds.push('RecoverableError');
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false });
    this.name = kinds[0] ?? new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = (new.target as unknown as { recoverable?: boolean }).recoverable === true;
  }
}

/**
 * A data request was routed with a topology version below the replica's fence
 * version. Recoverable: refresh the topology (read it again) and retry with
 * the new version.
 */
export class StaleTopologyError extends TopologyError {
  static override readonly kind: string = 'StaleTopologyError';
  /** Marks the error recoverable for `@scylla-cp/core`'s classifier. */
  static readonly recoverable = true;
  /** The version the request carried. */
  readonly requestVersion: number;
  /** The replica's fence version at the time of the check. */
  readonly fenceVersion: number;

  constructor(requestVersion: number, fenceVersion: number, where: string) {
    super(
      `stale topology: request routed with topology version ${requestVersion} at ${where}, but the fence version is ${fenceVersion}; refresh the topology and retry`,
      'STALE_TOPOLOGY',
      { details: { requestVersion, fenceVersion, where } },
    );
    this.requestVersion = requestVersion;
    this.fenceVersion = fenceVersion;
  }
}

/**
 * A node agent refused a command from a coordinator whose term is older than
 * one it has seen (or a command re-delivered out of order within a term).
 */
export class StaleTermError extends TopologyError {
  static override readonly kind: string = 'StaleTermError';

  constructor(message: string, details: Record<string, unknown>) {
    super(message, 'STALE_TERM', { details });
  }
}

/** A call to a node agent failed: unreachable, timed out, or the node refused. */
export class TopologyRpcError extends TopologyError {
  static override readonly kind: string = 'TopologyRpcError';
  static readonly recoverable = true;
  /** The node called. */
  readonly nodeId: string;

  constructor(nodeId: string, message: string, options: TopologyErrorOptions = {}) {
    super(`topology call to ${nodeId} failed: ${message}`, 'TOPOLOGY_RPC', { ...options, details: { nodeId, ...options.details } });
    this.nodeId = nodeId;
  }
}

/** Why a replicated-log operation failed. */
export type ReplicatedLogErrorCode = 'not_leader' | 'dropped' | 'status_unknown' | 'stopped' | 'timeout';

/**
 * A proposal or read barrier failed in a {@link ReplicatedLog}. Adapters map
 * their own errors to these codes; `status_unknown` means the command may or
 * may not have been applied.
 */
export class ReplicatedLogError extends TopologyError {
  static override readonly kind: string = 'ReplicatedLogError';
  static readonly recoverable = true;
  /** Which failure. */
  readonly reason: ReplicatedLogErrorCode;
  /** The leader's id when known (for `not_leader`). */
  readonly leaderHint: string | undefined;

  constructor(reason: ReplicatedLogErrorCode, message: string, options: TopologyErrorOptions & { leaderHint?: string } = {}) {
    super(message, `LOG_${reason.toUpperCase()}`, options);
    this.reason = reason;
    this.leaderHint = options.leaderHint;
  }
}

/** Waiting for a request's outcome (or another topology wait) timed out. */
export class TopologyTimeoutError extends TopologyError {
  static override readonly kind: string = 'TopologyTimeoutError';
  static readonly recoverable = true;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'TOPOLOGY_TIMEOUT', { details });
  }
}

/** A topology operation was used after it was stopped (coordinator deposed, agent shut down). */
export class TopologyStoppedError extends TopologyError {
  static override readonly kind: string = 'TopologyStoppedError';

  constructor(message: string) {
    super(message, 'TOPOLOGY_STOPPED');
  }
}

/** Why {@link TopologyAbortError} refused an abort. */
export type AbortRefusal = 'unknown_request' | 'request_started' | 'request_final' | 'not_abortable';

/**
 * An abort was refused: the request is unknown, already started (only pending requests can
 * be aborted: wait for its outcome), already final, or a `join`/`replace` (stop the joining
 * node instead: the coordinator then cancels the request).
 */
export class TopologyAbortError extends TopologyError {
  static override readonly kind: string = 'TopologyAbortError';
  /** Why the abort was refused. */
  readonly refusal: AbortRefusal;
  /** The request id. */
  readonly requestId: string;

  constructor(requestId: string, refusal: AbortRefusal, message: string) {
    super(message, 'ABORT_REFUSED', { details: { requestId, refusal } });
    this.refusal = refusal;
    this.requestId = requestId;
  }
}

/**
 * A node agent refused a stream command, or discarded its result, because its streaming
 * session is not the current one: the operation it belongs to ended, or moved to a later
 * stage, and a stale stream must not complete a newer operation.
 */
export class StaleStreamError extends TopologyError {
  static override readonly kind: string = 'StaleStreamError';
  /** The session the command carried. */
  readonly session: number;
  /** The node's current session. */
  readonly currentSession: number;

  constructor(message: string, details: { nodeId: string; requestId: string; session: number; currentSession: number }) {
    super(message, 'STALE_STREAM', { details });
    this.session = details.session;
    this.currentSession = details.currentSession;
  }
}
