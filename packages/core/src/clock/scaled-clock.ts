import type { Clock } from './clock.js';
import { SystemClock } from './system-clock.js';

/**
 * Real time running `speed` times faster: `now()` advances `speed` ms per real
 * ms from `startMs`, and `sleep(ms)` waits `ms / speed` real ms. Used by the
 * demo (and rehearsals against the simulator) so that a workflow's real
 * windows and timeouts — say a 20 s success window — pass in a fraction of the
 * time while every HTTP call still happens for real. Never use it against a
 * real cluster.
 */
export class ScaledClock implements Clock {
  readonly #base: Clock;
  readonly #realStart: number;
  readonly #start: number;

  /**
   * @param speed how many times faster than real time; must be > 0. @default 10
   * @param base the real clock. @default new SystemClock()
   */
  constructor(
    readonly speed = 10,
    base: Clock = new SystemClock(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`ScaledClock speed must be a finite number > 0, got ${speed}`);
    this.#base = base;
    this.#realStart = base.now();
    this.#start = this.#realStart;
  }

  now(): number {
    return Math.floor(this.#start + (this.#base.now() - this.#realStart) * this.speed);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return this.#base.sleep(delayMs / this.speed, signal);
  }
}
