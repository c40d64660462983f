/**
 * The only source of time for the engine, conditions and tasks.
 *
 * Every wait, poll and timeout goes through a `Clock`, so that tests and
 * benchmarks can run hours of simulated waiting in milliseconds with a
 * {@link VirtualClock}, and production uses the {@link SystemClock}.
 */
export interface Clock {
  /** Current time in milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `delayMs` milliseconds of this clock's time.
   * Rejects with the signal's reason (an `AbortError` if none) when `signal` aborts first.
   * A delay of 0 or less resolves on a later turn of the event loop.
   */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** The error a {@link Clock.sleep} rejects with when aborted without a reason. */
export function abortReason(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
