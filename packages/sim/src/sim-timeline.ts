import type { Clock } from '@scylla-cp/core';
import type { Scheduler } from './scheduler.js';
import type { SimNode } from './sim-node.js';

/**
 * The simulation's time: state changes scheduled at exact clock instants, applied when a reader
 * brings the cluster up to the clock ({@link sync}), listeners told after each change, and waits
 * in clock time that wake at every scheduled event and every change.
 */
export class SimTimeline {
  readonly #listeners: (() => void)[] = [];

  constructor(
    readonly clock: Clock,
    readonly scheduler: Scheduler,
  ) {}

  /** Applies every state change due by now (clock time). Every read path calls it first. */
  sync(): void {
    const ran = this.scheduler.runDue(this.clock.now());
    if (ran > 0) this.changed();
  }

  /** The time to stamp on a state change: the scheduled instant inside an event, else now. */
  at(): number {
    return this.scheduler.current ?? this.clock.now();
  }

  /** Waits in clock time until `t`, then applies what is due. */
  async sleepUntil(t: number): Promise<void> {
    for (;;) {
      const d = t - this.clock.now();
      if (d <= 0) break;
      await this.clock.sleep(d);
    }
    this.sync();
  }

  /**
   * Schedules `run` at `at` for the node's current process: it is skipped if the process died or
   * restarted meanwhile; listeners are told after it ran.
   */
  schedule(node: SimNode, at: number, run: () => void): void {
    const boot = node.boot;
    this.scheduler.schedule(at, () => {
      if (node.boot !== boot || !node.process) return;
      run();
      this.changed();
    });
  }

  /** Registers a listener called after state changes; returns its removal. */
  onChange(listener: () => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Tells every listener that the state changed. */
  changed(): void {
    for (const l of [...this.#listeners]) l();
  }

  /**
   * Waits in clock time until `pred` holds or `deadline` passes, waking at every scheduled event
   * and at every state change (a kill, a fault). Without a deadline and with nothing scheduled it
   * waits for the next state change.
   */
  async waitFor(pred: () => boolean, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.sync();
    while (!pred() && this.clock.now() < deadline) {
      const next = this.scheduler.nextAt();
      const target = Math.min(deadline, next ?? Number.POSITIVE_INFINITY);
      const ac = new AbortController();
      let woke: () => void = () => {};
      const changed = new Promise<void>((resolve) => (woke = resolve));
      const off = this.onChange(() => {
        ac.abort();
        woke();
      });
      try {
        if (target === Number.POSITIVE_INFINITY) await changed;
        else await this.clock.sleep(Math.max(0, target - this.clock.now()), ac.signal).catch(() => undefined);
      } finally {
        off();
        ac.abort();
      }
      this.sync();
    }
  }
}
