import type { Clock } from '../server/clock.js';
import type { VirtualClock } from '../sim/virtual-clock.js';
import { TopologyTimeoutError } from './topology-errors.js';

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

/** Resolves once every promise continuation queued so far has run (one macrotask hop). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Drives a {@link VirtualClock} whose callbacks start promise-based work (the
 * coordinator, clients): runs each due callback, then lets the promise
 * continuations it caused run, until `untilMs` or until `stop()` returns true
 * (checked after every callback). Returns true when stopped by `stop`.
 * Deterministic: promise order depends only on the callbacks' order.
 */
export async function runVirtualClock(clock: VirtualClock, untilMs: number, stop?: () => boolean): Promise<boolean> {
  await settle();
  if (stop?.()) return true;
  while (clock.step(untilMs)) {
    await settle();
    if (stop?.()) return true;
  }
  clock.runUntil(untilMs);
  return false;
}

/**
 * Drives a {@link VirtualClock} (see {@link runVirtualClock}) until `promise`
 * settles, and returns its result; throws {@link TopologyTimeoutError} when
 * it has not settled after `maxMs` virtual milliseconds.
 */
export async function driveVirtualClock<T>(clock: VirtualClock, promise: Promise<T>, maxMs: number): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  if (!(await runVirtualClock(clock, clock.now() + maxMs, () => settled))) throw new TopologyTimeoutError(`not settled within ${maxMs} virtual ms`);
  return promise;
}
