const KINDS = Symbol.for('@scylla-cp/core.error-kinds');

function kindsOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kinds = (value as Record<symbol, unknown>)[KINDS];
  return Array.isArray(kinds) ? (kinds as string[]) : undefined;
}

/** Options accepted by every scylla-cp error. */
export interface ScyllaCpErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** A stable machine-readable code, e.g. `CLUSTER_LOCKED`. */
  code?: string;
  /** Extra JSON-serializable context, stored with the step record. */
  details?: Record<string, unknown>;
  /**
   * Whether attempting the same step again may succeed: `true` (retry by the step's policy; a
   * condition poll that throws it is a failed poll), `false` (halt the node and notify). Read by
   * {@link classifyError} before anything else. `RecoverableError` sets `true`,
   * `UnrecoverableError` sets `false`; a class whose instances can be either (one class per
   * failure source, e.g. Prometheus or Scylla REST errors) sets it per instance, and
   * `instanceof RecoverableError` / `instanceof UnrecoverableError` follow it.
   * @default undefined (the error says nothing; classifyError goes by its other rules)
   */
  retryable?: boolean;
}

/**
 * Root of every error scylla-cp throws on purpose.
 *
 * `instanceof` works across two copies of `@scylla-cp/core` (a plugin that
 * bundles its own): each instance carries the names of its class chain under a
 * `Symbol.for` key, and `Symbol.hasInstance` checks that list. A subclass that
 * wants the same robustness declares its own `static readonly kind`.
 */
export class ScyllaCpError extends Error {
  /** The name matched by `instanceof` across package copies. */
  static readonly kind: string = 'ScyllaCpError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Object.prototype.hasOwnProperty.call(this, 'kind')) {
      return kindsOf(value)?.includes((this as unknown as { kind: string }).kind) ?? false;
    }
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** A stable machine-readable code. */
  readonly code: string;
  /** Extra JSON-serializable context. */
  readonly details: Record<string, unknown>;
  /** Retry intent: see {@link ScyllaCpErrorOptions.retryable}; `undefined` when the error says nothing. */
  readonly retryable: boolean | undefined;

  constructor(message: string, options: ScyllaCpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.prototype.hasOwnProperty.call(c, 'kind')) kinds.push((c as unknown as { kind: string }).kind);
    }
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false });
    this.name = kinds[0] ?? new.target.name;
    this.code = options.code ?? 'SCYLLA_CP_ERROR';
    this.details = options.details ?? {};
    this.retryable = options.retryable;
  }
}

/** True when `value` is an error of the given kind (by name), across package copies. */
export function isErrorKind(value: unknown, kind: string): boolean {
  return kindsOf(value)?.includes(kind) ?? false;
}

/**
 * The retry intent a scylla-cp error carries (`retryable`), from any copy of core; `undefined`
 * for anything else, or for an error that says nothing.
 */
export function retryableOf(value: unknown): boolean | undefined {
  if (!isErrorKind(value, 'ScyllaCpError')) return undefined;
  const r = (value as { retryable?: unknown }).retryable;
  return typeof r === 'boolean' ? r : undefined;
}
