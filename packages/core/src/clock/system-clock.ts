import { abortReason, type Clock } from './clock.js';

/** Wall-clock time (`Date.now()`) and real timers. Use in production. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, delayMs));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
