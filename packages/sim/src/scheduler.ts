import { TimerHeap } from '@scylla-cp/core';

interface ScheduledEvent {
  at: number;
  seq: number;
  run: () => void;
}

/**
 * The simulation's event queue. State changes that happen "later" (a node reaching NORMAL,
 * a drain finishing) are scheduled here at an exact time and applied by {@link runDue}, in time
 * order (ties in scheduling order), whenever anyone looks at the cluster. Nothing here owns a
 * timer: the injected clock decides what "now" is.
 */
export class Scheduler {
  readonly #heap = new TimerHeap<ScheduledEvent>();
  #seq = 0;
  #running = false;
  /** Time of the event being applied, or undefined outside {@link runDue}. */
  current: number | undefined;

  /** Number of pending events. */
  get size(): number {
    return this.#heap.size;
  }

  /** Time of the earliest pending event. */
  nextAt(): number | undefined {
    return this.#heap.peek()?.at;
  }

  /** Schedules `run` at `at` (milliseconds of the clock). */
  schedule(at: number, run: () => void): void {
    this.#heap.push({ at, seq: this.#seq++, run });
  }

  /** Applies every event due at or before `now`, in order; returns how many ran. */
  runDue(now: number): number {
    if (this.#running) return 0;
    this.#running = true;
    let n = 0;
    try {
      for (let next = this.#heap.peek(); next !== undefined && next.at <= now; next = this.#heap.peek()) {
        const ev = this.#heap.pop()!;
        this.current = ev.at;
        ev.run();
        n++;
      }
    } finally {
      this.current = undefined;
      this.#running = false;
    }
    return n;
  }
}
