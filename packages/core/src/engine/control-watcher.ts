import type { Clock } from '../clock/clock.js';
import type { ControlRequest, JobRecord, JobStore } from '../store/job-store.js';

/** Options of a {@link ControlWatcher}. */
export interface ControlWatcherOptions {
  store: JobStore;
  clock: Clock;
  jobId: string;
  /** Time between polls of the store, ms. */
  pollMs: number;
  /** Called with every pending request seen (the run makes repeated calls harmless). */
  onRequest(request: ControlRequest): void;
  /** Called when the store cannot be read (the run stops). */
  onError(error: unknown): void;
}

/**
 * Sees pause / cancel requests that another process recorded in the store
 * (`JobStore.requestControl`): it polls every `pollMs` (default 500 ms, so a
 * request is seen within a second). No step starts after a request was
 * recorded: with a store that checks control on commit
 * (`JobStore.commitChecksControl`) the step's start commit itself is refused
 * while a request is pending; with any other store the run calls
 * {@link check} right before every step starts. @internal
 */
export class ControlWatcher {
  readonly #o: ControlWatcherOptions;
  readonly #stop = new AbortController();
  #inFlight: Promise<void> | undefined;

  constructor(options: ControlWatcherOptions) {
    this.#o = options;
  }

  start(): void {
    void this.#loop();
  }

  stop(): void {
    this.#stop.abort();
  }

  /** Reads the job's pending request now (concurrent calls share one read). */
  check(): Promise<void> {
    if (this.#stop.signal.aborted) return Promise.resolve();
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #read(): Promise<void> {
    let job: JobRecord;
    try {
      job = await this.#o.store.getJob(this.#o.jobId);
    } catch (e) {
      this.#o.onError(e);
      return;
    }
    if (job.control !== undefined) this.#o.onRequest(job.control);
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.#o.clock.sleep(this.#o.pollMs, signal);
      } catch {
        return;
      }
      await this.check();
    }
  }
}
