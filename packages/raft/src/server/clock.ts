/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time source of the I/O shell. Inject a virtual clock to make runs deterministic.
 * `setTimeout(fn, 0)` must run `fn` after the current callback and any I/O already queued
 * (that is where the server batches proposals into one Ready and one fsync).
 */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Runs `callback` once after `delayMs` milliseconds. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
}

/** The process clock: `performance.now()`, `setTimeout`, and `setImmediate` for zero delays. */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    if (delayMs <= 0) {
      const h = setImmediate(callback);
      return { cancel: () => clearImmediate(h) };
    }
    const h = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(h) };
  }
}
