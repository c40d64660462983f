import { TimerHeap, type Clock } from '@scylla-cp/core';
import type { RaftClock, TimerHandle } from '@scylla-cp/raft';

interface Timer {
  at: number;
  readonly seq: number;
  readonly fn: () => void;
  readonly work: boolean;
  done: boolean;
}

/**
 * The clock the simulated cluster's Raft servers run on: the simulation's own clock (a core
 * `VirtualClock` in tests, the system clock behind `sim start`), seen through one bridge.
 *
 * Raft timers (ticks, message deliveries, disk syncs, coordinator sleeps) wait in this clock's
 * queue; one sleep on the simulation's clock stays pending for the earliest of them, and when it
 * wakes every timer due by then fires, in (time, scheduling order), synchronously. So the Raft
 * group shares the simulation's time and its determinism (no timer of its own outside it).
 *
 * **Pausing.** A Raft group whose state cannot change without outside input (see
 * `RaftSimGroup`: a leader, every member caught up, no call in flight) would only exchange
 * heartbeats. {@link pause} stops firing timers while the simulation's time goes on; the first
 * timer scheduled from outside (a proposal, a read, a call, a crash's restart) resumes the
 * clock: its time catches up with the simulation's at once, and every pending timer moves
 * later by the paused stretch (a tick due 3 ms after the pause is due 3 ms after the resume),
 * so the skipped heartbeats never fire. `now()` is the simulation's time minus its time at
 * construction (it starts at 0); while paused it stays where the pause began.
 *
 * Timers made through {@link work} (coordinator, agents, clients) are counted in
 * {@link pendingWork}, so that the group can tell waiting work from a quiet group.
 */
export class RaftSimClock implements RaftClock {
  readonly #sim: Clock;
  readonly #offset: number;
  #frozenAt: number | undefined;
  readonly #heap = new TimerHeap<Timer>();
  #seq = 0;
  #armed: { at: number; abort: AbortController } | undefined;
  #firing = false;
  #stopped = false;
  #pendingWork = 0;
  #fired = 0;
  /** Called at the end of each wake-up, after the due timers fired (the group decides whether to pause). */
  onIdleCheck: (() => void) | undefined;
  /** The same clock; its timers count as pending work (see {@link pendingWork}). */
  readonly work: RaftClock;

  constructor(sim: Clock) {
    this.#sim = sim;
    this.#offset = sim.now();
    this.work = { now: () => this.now(), setTimeout: (fn, ms) => this.#add(fn, ms, true) };
  }

  /** Timers fired so far (heartbeats, deliveries, syncs, ...): what the group cost. */
  get fired(): number {
    return this.#fired;
  }

  /** The simulation's clock reading (ms) at Raft time `raftMs` (Raft time is the simulation's, shifted to start at 0). */
  simTimeOf(raftMs: number): number {
    return raftMs + this.#offset;
  }

  /** Milliseconds since construction on the simulation's clock; stands still while {@link paused}. */
  now(): number {
    return this.#frozenAt ?? this.#sim.now() - this.#offset;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.#add(callback, delayMs, false);
  }

  /** Whether Raft time stands still (see {@link pause}). */
  get paused(): boolean {
    return this.#frozenAt !== undefined;
  }

  /** Timers made through {@link work} that neither fired nor were cancelled. */
  get pendingWork(): number {
    return this.#pendingWork;
  }

  /** Freezes Raft time; nothing fires until {@link resume} or a timer scheduled from outside. */
  pause(): void {
    if (this.#frozenAt !== undefined || this.#stopped) return;
    this.#frozenAt = this.now();
    this.#disarm();
  }

  /** Lets the clock run again: its time catches up with the simulation's, pending timers move later by the paused stretch. */
  resume(): void {
    if (this.#frozenAt === undefined || this.#stopped) return;
    const delta = Math.max(0, this.#sim.now() - this.#offset - this.#frozenAt);
    // adding the same amount to every due time keeps the heap's order
    for (const t of this.#heap) t.at += delta;
    this.#frozenAt = undefined;
    this.#arm();
  }

  /** Fires every timer due now, synchronously (used to settle a group at its creation). */
  runDue(): void {
    this.#fire();
  }

  /** Drops every timer; nothing fires any more. */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
    for (const t of this.#heap.clear()) this.#finish(t);
  }

  #add(fn: () => void, delayMs: number, work: boolean): TimerHandle {
    const t: Timer = { at: this.now() + Math.max(0, delayMs), seq: this.#seq++, fn, work, done: this.#stopped };
    if (this.#stopped) return { cancel: () => {} };
    if (work) this.#pendingWork++;
    this.#heap.push(t);
    // nothing fires while paused: a timer scheduled now comes from outside the group
    if (this.#frozenAt !== undefined && !this.#firing) this.resume();
    else if (!this.#firing) this.#arm();
    return { cancel: () => this.#finish(t) };
  }

  #finish(t: Timer): void {
    if (t.done) return;
    t.done = true;
    if (t.work) this.#pendingWork--;
  }

  #top(): Timer | undefined {
    while (this.#heap.peek()?.done === true) this.#heap.pop();
    return this.#heap.peek();
  }

  #disarm(): void {
    this.#armed?.abort.abort();
    this.#armed = undefined;
  }

  #arm(): void {
    if (this.#stopped || this.#frozenAt !== undefined) return;
    const top = this.#top();
    if (!top) return this.#disarm();
    if (this.#armed && this.#armed.at <= top.at) return;
    this.#disarm();
    const abort = new AbortController();
    const armed = { at: top.at, abort };
    this.#armed = armed;
    this.#sim.sleep(Math.max(0, top.at + this.#offset - this.#sim.now()), abort.signal).then(
      () => {
        if (this.#armed !== armed) return;
        this.#armed = undefined;
        this.#fire();
      },
      () => {},
    );
  }

  #fire(): void {
    if (this.#firing || this.#stopped || this.#frozenAt !== undefined) return;
    this.#firing = true;
    let error: unknown;
    let n = 0;
    try {
      for (let top = this.#top(); top && top.at <= this.now(); top = this.#top()) {
        this.#heap.pop();
        this.#finish(top);
        this.#fired++;
        if (++n > 1_000_000) throw new Error('RaftSimClock: more than 1,000,000 Raft timers due at one instant (a livelock)');
        try {
          top.fn();
        } catch (e) {
          error ??= e;
        }
      }
    } finally {
      this.#firing = false;
    }
    this.onIdleCheck?.();
    this.#arm();
    if (error !== undefined) throw error;
  }
}
