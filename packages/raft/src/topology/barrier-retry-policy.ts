/**
 * How the coordinator retries a failed global barrier in a write-both phase
 * (`write_both_read_old`, `write_both_read_new`) before it rolls the operation back.
 * Times in milliseconds on the coordinator's injected clock.
 */
export interface BarrierRetryPolicy {
  /** Barrier attempts in one phase (the first one included) before the rollback. @default 8 */
  readonly maxAttempts?: number;
  /** Delay before the first retry. @default the coordinator's `barrierRetryDelayMs` (100) */
  readonly delayMs?: number;
  /** Each further delay is the previous one times this. @default 2 */
  readonly backoff?: number;
  /** Cap on one delay. @default 2000 */
  readonly maxDelayMs?: number;
  /** Roll back once this long passed since the first failure of the phase, whatever the attempts. @default 30000 */
  readonly maxElapsedMs?: number;
}

/** Defaults of {@link BarrierRetryPolicy} (the initial delay comes from `barrierRetryDelayMs`). */
export const DEFAULT_BARRIER_RETRY: Required<Omit<BarrierRetryPolicy, 'delayMs'>> = {
  maxAttempts: 8,
  backoff: 2,
  maxDelayMs: 2000,
  maxElapsedMs: 30_000,
};

/** What to do after a failed barrier. */
export type BarrierRetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly attempt: number }
  | { readonly retry: false; readonly attempts: number; readonly elapsedMs: number; readonly reason: string };

/**
 * Counts failed barriers per operation phase (`requestId` + transition state) for one
 * coordinator run and decides between another attempt after a delay and a rollback. A
 * success forgets the phase's failures; a new coordinator (leader change) starts afresh.
 */
export class BarrierRetryTracker {
  readonly #policy: Required<BarrierRetryPolicy>;
  readonly #phases = new Map<string, { attempts: number; firstFailureAt: number }>();

  /** @param policy the policy; `delayMs` defaults to `defaultDelayMs`. */
  constructor(policy: BarrierRetryPolicy = {}, defaultDelayMs = 100) {
    this.#policy = { ...DEFAULT_BARRIER_RETRY, delayMs: defaultDelayMs, ...policy };
    const p = this.#policy;
    if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) throw new RangeError(`BarrierRetryPolicy.maxAttempts must be an integer >= 1, got ${p.maxAttempts}`);
    for (const key of ['delayMs', 'maxDelayMs', 'maxElapsedMs'] as const) {
      if (!Number.isFinite(p[key]) || p[key] < 0) throw new RangeError(`BarrierRetryPolicy.${key} must be a finite number of milliseconds >= 0, got ${p[key]}`);
    }
    if (!Number.isFinite(p.backoff) || p.backoff < 1) throw new RangeError(`BarrierRetryPolicy.backoff must be >= 1, got ${p.backoff}`);
  }

  /** The effective policy. */
  get policy(): Readonly<Required<BarrierRetryPolicy>> {
    return this.#policy;
  }

  /** Records a failed barrier of `phase` at `now` and decides. */
  failed(phase: string, now: number, error: string): BarrierRetryDecision {
    const p = this.#policy;
    const entry = this.#phases.get(phase) ?? { attempts: 0, firstFailureAt: now };
    entry.attempts++;
    this.#phases.set(phase, entry);
    const elapsedMs = now - entry.firstFailureAt;
    const delayMs = Math.min(p.maxDelayMs, p.delayMs * p.backoff ** (entry.attempts - 1));
    if (entry.attempts < p.maxAttempts && elapsedMs + delayMs <= p.maxElapsedMs) return { retry: true, delayMs, attempt: entry.attempts };
    this.#phases.delete(phase);
    return {
      retry: false,
      attempts: entry.attempts,
      elapsedMs,
      reason: `global barrier failed ${entry.attempts} time(s) over ${elapsedMs} ms (retry budget exhausted: ${p.maxAttempts} attempts, ${p.maxElapsedMs} ms): ${error}`,
    };
  }

  /** Forgets the failures of `phase` (its barrier succeeded). */
  succeeded(phase: string): void {
    this.#phases.delete(phase);
  }

  /** Forgets everything (a new coordinator run). */
  reset(): void {
    this.#phases.clear();
  }
}
