import type { RaftVirtualClock } from './sim/raft-virtual-clock.js';
import { TopologyTimeoutError } from '../topology/index.js';

/** Resolves once every promise continuation queued so far has run (one macrotask hop). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Work done outside a virtual clock that the clock must wait for: while such
 * work is pending, a driver advances the clock at most to {@link horizon}, then
 * awaits {@link settled} instead of firing later timers (so timeouts measured on
 * the virtual clock do not expire while the outside work is under way).
 */
export interface ExternalWork {
  /** Virtual time up to which the clock may still run, or `undefined` when no outside work is pending. */
  horizon(): number | undefined;
  /** Resolves once some pending outside work settled (never rejects). */
  settled(): Promise<void>;
}

/**
 * Drives a {@link RaftVirtualClock} whose callbacks start promise-based work (the
 * coordinator, clients): runs each due callback, then lets the promise
 * continuations it caused run, until `untilMs` or until `stop()` returns true
 * (checked after every callback). Returns true when stopped by `stop`. With
 * `external`, time does not pass its {@link ExternalWork.horizon} while outside
 * work is pending: the driver awaits that work instead.
 * Deterministic: promise order depends only on the callbacks' order (and, with
 * `external`, on the order in which the outside work settles).
 */
export async function runVirtualClock(clock: RaftVirtualClock, untilMs: number, stop?: () => boolean, external?: ExternalWork): Promise<boolean> {
  await settle();
  if (stop?.()) return true;
  for (;;) {
    const horizon = external?.horizon();
    if (clock.step(horizon === undefined ? untilMs : Math.min(untilMs, horizon))) {
      await settle();
      if (stop?.()) return true;
      continue;
    }
    if (horizon === undefined || horizon >= untilMs) break;
    await external!.settled();
    await settle();
    if (stop?.()) return true;
  }
  clock.runUntil(untilMs);
  return false;
}

/**
 * Drives a {@link RaftVirtualClock} (see {@link runVirtualClock}) until `promise`
 * settles, and returns its result; throws {@link TopologyTimeoutError} when
 * it has not settled after `maxMs` virtual milliseconds.
 */
export async function driveVirtualClock<T>(clock: RaftVirtualClock, promise: Promise<T>, maxMs: number, external?: ExternalWork): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  if (!(await runVirtualClock(clock, clock.now() + maxMs, () => settled, external))) throw new TopologyTimeoutError(`not settled within ${maxMs} ms of the topology group's virtual clock`);
  return promise;
}
