import type { Clock } from '../clock/clock.js';
import type { JobStore, Lease } from '../store/job-store.js';

/** Options of a {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  store: JobStore;
  clock: Clock;
  /** Lease time-to-live, ms. */
  ttlMs: number;
  /** Time between renewals, ms. */
  heartbeatMs: number;
  /** Called once when a renewal fails (the run must stop acting at once). */
  onLost(error: unknown): void;
}

/**
 * Keeps a run's lease alive: renews it every `heartbeatMs` until stopped.
 * The run reads the current lease (with its fencing token) from here for
 * every commit. @internal
 */
export class LeaseKeeper {
  #lease: Lease;
  readonly #o: LeaseKeeperOptions;
  readonly #stop = new AbortController();

  constructor(lease: Lease, options: LeaseKeeperOptions) {
    this.#lease = lease;
    this.#o = options;
  }

  /** The lease as last renewed. */
  get lease(): Lease {
    return this.#lease;
  }

  /** Starts renewing (in the background). */
  start(): void {
    void this.#loop();
  }

  /** Stops renewing; idempotent. */
  stop(): void {
    this.#stop.abort();
  }

  async #loop(): Promise<void> {
    const { clock, store, heartbeatMs, ttlMs } = this.#o;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await clock.sleep(heartbeatMs, signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
      try {
        this.#lease = await store.renewLease(this.#lease, ttlMs, clock.now());
      } catch (e) {
        this.stop();
        this.#o.onLost(e);
        return;
      }
    }
  }
}
