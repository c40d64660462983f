import { ScyllaCpError, retryableOf, type ScyllaCpErrorOptions } from './scylla-cp-error.js';

/** Options of a {@link RecoverableError} (`retryable` is always `true` there). */
export interface RecoverableErrorOptions extends Omit<ScyllaCpErrorOptions, 'retryable'> {
  /** Minimum seconds to wait before the next attempt (e.g. from a `Retry-After`). */
  retryAfterSeconds?: number;
}

/**
 * A failure that may go away if the same step is attempted again (a refused
 * connection, a timeout, an HTTP 5xx). The engine retries it by the step's
 * retry policy; a poll of a condition that throws it counts as a failed poll.
 */
export class RecoverableError extends ScyllaCpError {
  static override readonly kind: string = 'RecoverableError';

  /**
   * Besides instances of this class (by kind, across package copies), any scylla-cp error whose
   * `retryable` is `true` counts as a `RecoverableError`, so one class per failure source (e.g.
   * `PrometheusError`) keeps `instanceof` working for callers. Subclasses match by kind only.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === RecoverableError && retryableOf(value) === true) return true;
    return super[Symbol.hasInstance](value);
  }

  /** Minimum seconds to wait before the next attempt, if the source said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: RecoverableErrorOptions = {}) {
    super(message, { code: 'RECOVERABLE', ...options, retryable: true });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * A failure that retrying will not fix, or that a human must look at before
 * anything else is done to the cluster. The engine halts the node (and, with
 * `abort_on_first_failure`, the job) and notifies the operator.
 */
export class UnrecoverableError extends ScyllaCpError {
  static override readonly kind: string = 'UnrecoverableError';

  /** Besides instances of this class, any scylla-cp error whose `retryable` is `false` (see {@link RecoverableError}). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === UnrecoverableError && retryableOf(value) === false) return true;
    return super[Symbol.hasInstance](value);
  }

  constructor(message: string, options: Omit<ScyllaCpErrorOptions, 'retryable'> = {}) {
    super(message, { code: 'UNRECOVERABLE', ...options, retryable: false });
  }
}

/** Context of a {@link ConditionTimeoutError}. */
export interface ConditionTimeoutInfo {
  /** The condition's YAML tag or name. */
  condition: string;
  /** The timeout that elapsed. */
  timeoutSeconds: number;
  /** The detail of the last poll (what the condition saw), or the last error's message. */
  lastDetail: string;
  /** How many polls ran. */
  polls: number;
}

/**
 * A condition did not hold for its success window before its timeout: the
 * cluster did not reach the needed state in the time allowed. Unrecoverable by
 * default, because a human should look before the operation continues.
 */
export class ConditionTimeoutError extends UnrecoverableError {
  static override readonly kind: string = 'ConditionTimeoutError';
  readonly condition: string;
  readonly timeoutSeconds: number;
  readonly lastDetail: string;
  readonly polls: number;

  constructor(info: ConditionTimeoutInfo, options: ScyllaCpErrorOptions = {}) {
    super(
      `condition ${info.condition} did not hold within ${info.timeoutSeconds}s (${info.polls} polls); last: ${info.lastDetail}`,
      { ...options, code: 'CONDITION_TIMEOUT', details: { ...info, ...options.details } },
    );
    this.condition = info.condition;
    this.timeoutSeconds = info.timeoutSeconds;
    this.lastDetail = info.lastDetail;
    this.polls = info.polls;
  }
}
