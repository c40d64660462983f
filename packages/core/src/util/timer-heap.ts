/** What a {@link TimerHeap} orders: a due time and a creation sequence number. */
export interface HeapTimer {
  /** When it is due, ms (the owner's clock). */
  at: number;
  /** Creation order: of two timers due at the same instant, the lower fires first. */
  seq: number;
}

const earlier = (a: HeapTimer, b: HeapTimer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * A binary min-heap of timers: the earliest `at` first, ties by `seq`, so
 * timers due together fire in creation order. The one timer queue of the
 * virtual clocks and the simulator's scheduler. Push, pop and remove are
 * O(log n) (remove also finds the timer, O(n)).
 */
export class TimerHeap<T extends HeapTimer> {
  #h: T[] = [];

  /** Timers in the heap. */
  get size(): number {
    return this.#h.length;
  }

  /** The earliest timer, left in place; `undefined` when empty. */
  peek(): T | undefined {
    return this.#h[0];
  }

  push(t: T): void {
    this.#h.push(t);
    this.#up(this.#h.length - 1);
  }

  /** Takes out the earliest timer; `undefined` when empty. */
  pop(): T | undefined {
    const h = this.#h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      this.#down(0);
    }
    return top;
  }

  /** Takes out `t` (by identity). False when it is not in the heap. */
  remove(t: T): boolean {
    const h = this.#h;
    const i = h.indexOf(t);
    if (i < 0) return false;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      this.#down(i);
      this.#up(i);
    }
    return true;
  }

  /** Empties the heap and returns what it held, in no particular order. */
  clear(): T[] {
    const all = this.#h;
    this.#h = [];
    return all;
  }

  /**
   * Every timer, in no particular order. Changing their `at` by the same
   * amount keeps the heap valid; any other change does not.
   */
  [Symbol.iterator](): Iterator<T> {
    return this.#h[Symbol.iterator]();
  }

  #up(i: number): void {
    const h = this.#h;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!earlier(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #down(i: number): void {
    const h = this.#h;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && earlier(h[l]!, h[m]!)) m = l;
      if (r < h.length && earlier(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
