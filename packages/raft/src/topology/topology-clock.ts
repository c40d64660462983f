import type { Clock } from '../server/clock.js';

/** Resolves after `delayMs` on `clock`. */
export function sleepOn(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => void clock.setTimeout(resolve, delayMs));
}

/** A wake-up latch: {@link WakeSignal.wait} resolves on the next {@link WakeSignal.notify}. */
export class WakeSignal {
  #waiters: (() => void)[] = [];

  /** A promise resolved by the next {@link notify} after this call. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Wakes every current waiter. */
  notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }
}
