import { TimerHeap } from '../util/timer-heap.js';
import { abortReason, type Clock } from './clock.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Initial time in milliseconds since the Unix epoch. @default 1767225600000 (2026-01-01T00:00:00Z) */
  startMs?: number;
}

/**
 * A deterministic clock for tests and benchmarks. Time only moves when the
 * caller advances it ({@link advance}, {@link advanceTo}) or when {@link run}
 * finds the program idle and jumps to the next pending timer.
 *
 * Timers due at the same instant fire in the order they were created.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #heap = new TimerHeap<Timer>();

  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.startMs ?? 1767225600000;
  }

  now(): number {
    return this.#now;
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#heap.size;
  }

  /** Time of the earliest pending timer, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#heap.peek()?.at;
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const timer: Timer = {
        at: this.#now + Math.max(0, delayMs),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#heap.remove(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#heap.push(timer);
    });
  }

  /**
   * Moves time forward by `deltaMs`, firing every timer due on the way in
   * time order, and letting promise continuations run between timers.
   */
  async advance(deltaMs: number): Promise<void> {
    await this.advanceTo(this.#now + deltaMs);
  }

  /** Moves time forward to `targetMs` (never backwards), firing due timers in order. */
  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.#heap.peek();
      if (next === undefined || next.at > targetMs) break;
      this.#fireDue(next.at);
    }
    if (targetMs > this.#now) this.#now = targetMs;
    await settle();
  }

  /**
   * Runs `work` to completion, jumping virtual time to the next timer whenever
   * the program is idle (no pending promise continuations or immediates).
   *
   * Rejects if `work` is still pending while no timer is left (a deadlock), or
   * after `maxVirtualMs` of virtual time has passed.
   */
  async run<T>(work: Promise<T> | (() => Promise<T>), options: { maxVirtualMs?: number } = {}): Promise<T> {
    const promise = typeof work === 'function' ? work() : work;
    let done = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    promise.then(
      (v) => {
        done = true;
        value = v;
      },
      (e) => {
        done = true;
        failed = true;
        error = e;
      },
    );
    const limit = options.maxVirtualMs === undefined ? Infinity : this.#now + options.maxVirtualMs;
    for (;;) {
      await settle();
      if (done) break;
      const next = this.#heap.peek();
      if (next === undefined) {
        throw new Error('VirtualClock.run: the work is still pending but no timer is left to fire (deadlock)');
      }
      if (next.at > limit) {
        throw new Error(`VirtualClock.run: exceeded maxVirtualMs=${options.maxVirtualMs}`);
      }
      this.#fireDue(next.at);
    }
    if (failed) throw error;
    return value as T;
  }

  #fireDue(at: number): void {
    if (at > this.#now) this.#now = at;
    for (let t = this.#heap.peek(); t !== undefined && t.at <= this.#now; t = this.#heap.peek()) this.#heap.pop()!.resolve();
  }
}

/** Lets every queued promise continuation and immediate run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
