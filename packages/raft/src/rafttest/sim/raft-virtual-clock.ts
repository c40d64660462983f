import type { Clock, TimerHandle } from '../../server/clock.js';

interface Timer {
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for the simulator: callbacks run in (time, scheduling order) order, and
 * time jumps straight to the next callback. Deterministic by construction.
 */
export class RaftVirtualClock implements Clock {
  private nowMs = 0;
  private seq = 0;
  private heap: Timer[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const t: Timer = { time: this.nowMs + Math.max(0, delayMs), seq: this.seq++, fn: callback, cancelled: false };
    this.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Runs the next callback; returns false when none is left or the next is after `untilMs`. */
  step(untilMs: number): boolean {
    for (;;) {
      const top = this.heap[0];
      if (!top) return false;
      if (top.time > untilMs) return false;
      this.pop();
      if (top.cancelled) continue;
      this.nowMs = top.time;
      top.fn();
      return true;
    }
  }

  /** Runs callbacks until virtual time `untilMs` (then sets the clock to it). */
  runUntil(untilMs: number, afterEach?: () => void): void {
    while (this.step(untilMs)) afterEach?.();
    if (this.nowMs < untilMs) this.nowMs = untilMs;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as Timer, h[p] as Timer)) break;
      [h[i], h[p]] = [h[p] as Timer, h[i] as Timer];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Timer;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as Timer, h[m] as Timer)) m = l;
      if (r < h.length && this.less(h[r] as Timer, h[m] as Timer)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Timer, h[i] as Timer];
      i = m;
    }
  }
}
