import { StaleTopologyError } from './topology-errors.js';

interface DrainWaiter {
  readonly below: number;
  readonly resolve: () => void;
}

/** Options of {@link FencingGuard}. */
export interface FencingGuardOptions {
  /** Names the replica in error messages, e.g. a node id. @default 'replica' */
  readonly where?: string;
  /**
   * Called when a request carries a version newer than the replica knows; it
   * should bring the replica's topology up to date (e.g. a read barrier), then
   * call {@link FencingGuard.update}. @default none (the request proceeds)
   */
  readonly refresh?: () => Promise<void>;
}

/**
 * Fencing for a replica's data path. Each request carries the topology version
 * it was routed with; a version below the replica's `fenceVersion` is rejected
 * with {@link StaleTopologyError} before and after the local access, and every
 * request in flight is counted by version so a barrier can drain the old ones.
 * Version 0 means unfenced (local tables).
 */
export class FencingGuard {
  #version = 0;
  #fenceVersion = 0;
  readonly #where: string;
  readonly #refresh: (() => Promise<void>) | undefined;
  readonly #inFlight = new Map<number, number>();
  #drainWaiters: DrainWaiter[] = [];

  constructor(options: FencingGuardOptions = {}) {
    this.#where = options.where ?? 'replica';
    this.#refresh = options.refresh;
  }

  /** The newest topology version this replica knows. */
  get version(): number {
    return this.#version;
  }

  /** Requests routed below this version are rejected. */
  get fenceVersion(): number {
    return this.#fenceVersion;
  }

  /**
   * Records the replica's topology `version` and `fenceVersion` (from its
   * state machine). Both only move forward: a lower value is ignored. Throws
   * `RangeError` when `fenceVersion > version`, which a correct topology never
   * produces.
   */
  update(version: number, fenceVersion: number): void {
    if (fenceVersion > version) {
      throw new RangeError(`FencingGuard(${this.#where}).update: fence version ${fenceVersion} is above the topology version ${version}`);
    }
    if (version > this.#version) this.#version = version;
    if (fenceVersion > this.#fenceVersion) this.#fenceVersion = fenceVersion;
  }

  /** Throws {@link StaleTopologyError} when `requestVersion` is fenced. */
  check(requestVersion: number): void {
    if (requestVersion !== 0 && requestVersion < this.#fenceVersion) {
      throw new StaleTopologyError(requestVersion, this.#fenceVersion, this.#where);
    }
  }

  /**
   * Runs one data request routed with `requestVersion`: refreshes the topology
   * first when the version is newer than known, checks the fence, counts the
   * request as in flight while `fn` runs, and checks the fence again after it
   * (a fence raised meanwhile fails the request, as ScyllaDB does).
   */
  async run<T>(requestVersion: number, fn: () => Promise<T> | T): Promise<T> {
    if (requestVersion > this.#version && this.#refresh) await this.#refresh();
    this.check(requestVersion);
    this.#inFlight.set(requestVersion, (this.#inFlight.get(requestVersion) ?? 0) + 1);
    try {
      const result = await fn();
      this.check(requestVersion);
      return result;
    } finally {
      const left = (this.#inFlight.get(requestVersion) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(requestVersion);
      else this.#inFlight.set(requestVersion, left);
      this.#wakeDrains();
    }
  }

  /** Requests in flight routed with a version below `belowVersion` (all when omitted). */
  inFlight(belowVersion = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (const [v, count] of this.#inFlight) if (v !== 0 && v < belowVersion) n += count;
    return n;
  }

  /** Resolves once no request routed with a version below `belowVersion` is in flight. */
  drain(belowVersion: number): Promise<void> {
    if (this.inFlight(belowVersion) === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push({ below: belowVersion, resolve }));
  }

  #wakeDrains(): void {
    if (this.#drainWaiters.length === 0) return;
    const still: DrainWaiter[] = [];
    for (const w of this.#drainWaiters) {
      if (this.inFlight(w.below) === 0) w.resolve();
      else still.push(w);
    }
    this.#drainWaiters = still;
  }
}
