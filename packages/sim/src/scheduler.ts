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
  #heap: ScheduledEvent[] = [];
  #seq = 0;
  #running = false;
  /** Time of the event being applied, or undefined outside {@link runDue}. */
  current: number | undefined;

  /** Number of pending events. */
  get size(): number {
    return this.#heap.length;
  }

  /** Time of the earliest pending event. */
  nextAt(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Schedules `run` at `at` (milliseconds of the clock). */
  schedule(at: number, run: () => void): void {
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Applies every event due at or before `now`, in order; returns how many ran. */
  runDue(now: number): number {
    if (this.#running) return 0;
    this.#running = true;
    let n = 0;
    try {
      while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
        const ev = this.#pop();
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

  #pop(): ScheduledEvent {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
