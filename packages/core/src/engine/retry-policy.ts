import type { Prng } from '../util/prng.js';
import type { RetryBackoff } from '../workflow/workflow.js';

/**
 * Default share of a retry delay that jitter may remove: a delay is drawn
 * uniformly from `[base * (1 - 0.2), base]`. @default 0.2
 */
export const DEFAULT_RETRY_JITTER_RATIO = 0.2;

/** Options of {@link computeRetryDelay}. */
export interface RetryDelayOptions {
  /**
   * Fraction of the exponential delay that jitter may remove, in [0, 1].
   * 0 disables jitter (exact delays). @default DEFAULT_RETRY_JITTER_RATIO (0.2)
   */
  jitterRatio?: number;
  /**
   * A lower bound the failure itself asked for (`RecoverableError.retryAfterSeconds`,
   * e.g. from an HTTP `Retry-After`), seconds. The delay is never shorter.
   */
  retryAfterSeconds?: number;
}

/**
 * The delay before retry number `retry` (1 = the first retry, after attempt 1
 * failed), in **milliseconds**, rounded to whole ms.
 *
 * `base = min(maxSeconds, initialSeconds * multiplier^(retry - 1))`; with
 * jitter ratio `j` and `u` drawn from `prng` in [0, 1): `base * (1 - j * u)`;
 * then raised to `retryAfterSeconds` if that is larger. Jitter never lengthens
 * a delay beyond `maxSeconds`, and the same seed always yields the same delays.
 * The defaults of `backoff` come from the planner (5 s initial, x2, 60 s max).
 */
export function computeRetryDelay(backoff: RetryBackoff, retry: number, prng?: Prng, options: RetryDelayOptions = {}): number {
  const j = options.jitterRatio ?? DEFAULT_RETRY_JITTER_RATIO;
  if (!(j >= 0 && j <= 1)) throw new RangeError(`jitterRatio must be in [0, 1], got ${j}`);
  const n = Math.max(1, Math.floor(retry));
  const exp = backoff.initialSeconds * Math.pow(backoff.multiplier, n - 1);
  const baseSeconds = Math.max(0, Math.min(backoff.maxSeconds, Number.isFinite(exp) ? exp : backoff.maxSeconds));
  const u = j > 0 && prng ? prng.next() : 0;
  let seconds = baseSeconds * (1 - j * u);
  const after = options.retryAfterSeconds;
  if (after !== undefined && Number.isFinite(after) && after > seconds) seconds = after;
  return Math.round(seconds * 1000);
}
