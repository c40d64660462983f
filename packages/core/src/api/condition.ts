import type { ClusterConditionContext, NodeConditionContext } from './context.js';

/** The outcome of one check of a condition. */
export interface ConditionResult {
  /** Whether the condition holds now. */
  ok: boolean;
  /**
   * What the condition saw, for people: e.g. `pending compactions 42 > 10
   * (shard 0: 30, shard 1: 12)`. A timed-out wait reports the last detail.
   */
  detail: string;
  /**
   * A measure of progress toward holding (pending compactions, streaming
   * percentage, ...), for waits with `stallTimeoutSeconds`: the wait goes on
   * past its timeout while `value` keeps getting better (`lower` or `higher`),
   * and fails once it did not improve for that long. Absent: no measure.
   */
  progress?: ConditionProgress;
}

/** A progress measure reported by a condition check (see {@link ConditionResult.progress}). */
export interface ConditionProgress {
  /** What is measured, for people: `pending compactions`, `streaming %`. */
  measure: string;
  value: number;
  /** Which way is better: `lower` (work left) or `higher` (work done). */
  better: 'lower' | 'higher';
}

/**
 * A fact about one node that can be checked repeatedly (read-only, no side
 * effects). Throw a `RecoverableError` when the check itself could not be made
 * (counts as a failed poll, as does any error `classifyError` calls
 * recoverable, e.g. a raw `ECONNREFUSED`), an `UnrecoverableError` when
 * waiting is pointless. A check should honour `ctx.signal`: the engine counts
 * an attempt as over only once its checks have settled.
 */
export interface NodeCondition {
  readonly scope?: 'node';
  /** A short name, usually the YAML tag. */
  name(): string;
  check(ctx: NodeConditionContext): Promise<ConditionResult>;
}

/** A fact about the whole cluster; same rules as {@link NodeCondition}. */
export interface ClusterCondition {
  readonly scope?: 'cluster';
  name(): string;
  check(ctx: ClusterConditionContext): Promise<ConditionResult>;
}

/** How long and how often to wait for a condition. Durations are in seconds. */
export interface ConditionTiming {
  /** The condition must hold on every poll for this long. 0: first good poll passes. @default 0 */
  successWindowSeconds: number;
  /** Seconds between polls. @default 5 */
  pollIntervalSeconds: number;
  /** Give up (ConditionTimeoutError) after this long. @default 300 */
  timeoutSeconds: number;
  /**
   * Progress-aware wait: past `timeoutSeconds`, keep waiting while the
   * condition's progress measure (`ConditionResult.progress`) improves, and
   * fail only once it did not improve for this long (seconds, > 0). A
   * condition that reports no progress times out as usual. @default none
   */
  stallTimeoutSeconds?: number;
}

/** The documented defaults of {@link ConditionTiming}. */
export const DEFAULT_CONDITION_TIMING: Readonly<ConditionTiming> = Object.freeze({
  successWindowSeconds: 0,
  pollIntervalSeconds: 5,
  timeoutSeconds: 300,
});

/**
 * A condition with its timing: what a task's `preconditions()` returns and
 * what `!wait-for-conditions` waits on.
 *
 * Semantics (implemented by the engine's `waitForCondition`): poll every
 * `pollIntervalSeconds`; pass once the condition has held on every poll for
 * the whole `successWindowSeconds` (window 0: the first good poll passes); a
 * failed poll restarts the window; after `timeoutSeconds` fail with
 * `ConditionTimeoutError` carrying the last detail. An error thrown by
 * `check` that `classifyError` calls recoverable counts as a failed poll (its
 * message becomes the detail); any other error fails the wait at once.
 */
export class ConditionCheck<C extends NodeCondition | ClusterCondition = NodeCondition | ClusterCondition> {
  readonly condition: C;
  readonly successWindowSeconds: number;
  readonly pollIntervalSeconds: number;
  readonly timeoutSeconds: number;
  /** See {@link ConditionTiming.stallTimeoutSeconds}; `undefined`: none. */
  readonly stallTimeoutSeconds: number | undefined;

  constructor(condition: C, timing: Partial<ConditionTiming> = {}) {
    this.condition = condition;
    this.successWindowSeconds = timing.successWindowSeconds ?? DEFAULT_CONDITION_TIMING.successWindowSeconds;
    this.pollIntervalSeconds = timing.pollIntervalSeconds ?? DEFAULT_CONDITION_TIMING.pollIntervalSeconds;
    this.timeoutSeconds = timing.timeoutSeconds ?? DEFAULT_CONDITION_TIMING.timeoutSeconds;
    for (const [k, v] of Object.entries({
      successWindowSeconds: this.successWindowSeconds,
      pollIntervalSeconds: this.pollIntervalSeconds,
      timeoutSeconds: this.timeoutSeconds,
    })) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`ConditionCheck.${k} must be a finite number >= 0, got ${v}`);
    }
    if (this.pollIntervalSeconds === 0) throw new RangeError('ConditionCheck.pollIntervalSeconds must be > 0');
    this.stallTimeoutSeconds = timing.stallTimeoutSeconds;
    if (this.stallTimeoutSeconds !== undefined && !(Number.isFinite(this.stallTimeoutSeconds) && this.stallTimeoutSeconds > 0)) {
      throw new RangeError(`ConditionCheck.stallTimeoutSeconds must be a finite number > 0, got ${this.stallTimeoutSeconds}`);
    }
  }

  /** A check of `condition` with the documented default timing. */
  static withDefaults<C extends NodeCondition | ClusterCondition>(condition: C): ConditionCheck<C> {
    return new ConditionCheck(condition);
  }

  /** The timing as a plain object. */
  timing(): ConditionTiming {
    return {
      successWindowSeconds: this.successWindowSeconds,
      pollIntervalSeconds: this.pollIntervalSeconds,
      timeoutSeconds: this.timeoutSeconds,
      ...(this.stallTimeoutSeconds !== undefined ? { stallTimeoutSeconds: this.stallTimeoutSeconds } : {}),
    };
  }
}
