import type { StepUpdate, Transition } from '../store/job-store.js';

/** One event of a {@link Transition}. */
export type TransitionEvent = NonNullable<Transition['events']>[number];

/**
 * A step's success whose record is held back, to be committed in the same
 * transaction as the next step's start. @internal
 */
export interface HeldSuccess {
  /** The step's `succeeded` record. */
  readonly update: StepUpdate;
  /** Its `step.succeeded` event. */
  readonly event: TransitionEvent;
  /** What follows the durable record (disruption gate, counters, the listeners' `step` event). */
  settle(): void;
}

/**
 * The steps of one node of a node workflow, which run one after the other
 * (a lane). When a step succeeds and the lane's next step starts at once, the
 * success is held and recorded in the transaction that records the next
 * step `running` (see `StepRunner.run`): one durable commit between two steps
 * instead of two, with the fencing token checked once.
 *
 * Whenever the next step does not start at once (it is the node's last, a
 * pause, cancel or halt stops the lane, the next step cannot be built, the
 * node ends for any reason) the held success is committed on its own, right
 * away, by {@link flush}. The resume promise holds either way: until the
 * held success is committed the step is recorded `running` (a crash then runs
 * it again, as a crash just after any execution would), and the next step's
 * execution follows its own `running` record. @internal
 */
export class StepLane {
  #held: HeldSuccess | undefined;

  constructor(
    private readonly commit: (t: Transition) => Promise<boolean>,
    private readonly now: () => number,
  ) {}

  /** Holds a success until the next step's start (or {@link flush}). */
  hold(success: HeldSuccess): void {
    if (this.#held !== undefined) throw new Error('a step lane holds one success at a time (engine bug: a held success was not committed)');
    this.#held = success;
  }

  /**
   * Hands the held success over to the caller, who commits it together with
   * the next step's start and settles it once that commit succeeded.
   */
  take(): HeldSuccess | undefined {
    const held = this.#held;
    this.#held = undefined;
    return held;
  }

  /**
   * Commits the held success (if any) on its own. False when the commit failed
   * (the run is stopping: the step stays recorded `running`).
   */
  async flush(): Promise<boolean> {
    const held = this.take();
    if (held === undefined) return true;
    const ok = await this.commit({ at: this.now(), steps: [held.update], events: [held.event] });
    if (ok) held.settle();
    return ok;
  }
}
