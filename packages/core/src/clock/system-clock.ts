import { abortReason, type Clock } from './clock.js';

/**
 * The longest delay one Node.js timer takes (2^31-1 ms, about 24.8 days);
 * Node clamps a longer one to 1 ms. {@link SystemClock.sleep} waits in chunks
 * of at most this long.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Wall-clock time (`Date.now()`) and real timers. Use in production. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  /** Waits `delayMs` (any length: longer than 2^31-1 ms is waited in chunks). */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const end = Date.now() + Math.max(0, delayMs);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const arm = (ms: number): void => {
        timer = setTimeout(() => {
          const left = end - Date.now();
          if (left > 0 && ms === MAX_TIMER_DELAY_MS) {
            arm(Math.min(left, MAX_TIMER_DELAY_MS));
            return;
          }
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
      };
      arm(Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
