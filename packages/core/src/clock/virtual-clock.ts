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
  #heap: Timer[] = [];

  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.startMs ?? 1767225600000;
  }

  now(): number {
    return this.#now;
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#heap.length;
  }

  /** Time of the earliest pending timer, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#heap[0]?.at;
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
        this.#remove(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#push(timer);
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
      const next = this.#heap[0];
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
      const next = this.#heap[0];
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
    while (this.#heap.length > 0 && this.#heap[0]!.at <= this.#now) {
      this.#pop().resolve();
    }
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  #siftDown(start: number): void {
    const h = this.#heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  #remove(t: Timer): void {
    const h = this.#heap;
    const i = h.indexOf(t);
    if (i < 0) return;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      this.#siftDown(i);
      let j = i;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (!this.#less(h[j]!, h[p]!)) break;
        [h[j], h[p]] = [h[p]!, h[j]!];
        j = p;
      }
    }
  }
}

/** Lets every queued promise continuation and immediate run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
