import type { ConditionPollEvent, JobStore, Lease, Transition } from '@scylla-cp/core';
import { listen, type EventSource } from './progress-view.js';

/** At most this many polls are recorded per step and condition (the first, each change, the pass). */
export const MAX_RECORDED_POLLS_PER_CONDITION = 50;

/**
 * Records the telling condition polls of a run in the job's event log, as
 * `condition.poll` events (`data`: `at` in ms, `condition`, `ok`, `held`,
 * `window`, `detail`, `passed`), so that `logs` and the HTML report can show
 * condition waits with their polls. Only the first poll of a condition on a
 * step, each change of its result and the pass are kept (up to
 * {@link MAX_RECORDED_POLLS_PER_CONDITION}). They are not written on their own:
 * they ride along with the engine's next transition (same lease, same atomic
 * commit), stored ahead of its own events since they happened before it, so
 * recording never needs a lease of its own nor adds a write.
 */
export class PollRecorder {
  #pending: NonNullable<Transition['events']> = [];
  readonly #last = new Map<string, { ok: boolean; count: number }>();
  #detach: (() => void) | undefined;

  /** Listens to the engine's `condition-poll` events. */
  attach(source: EventSource): void {
    this.#detach = listen(source, { 'condition-poll': (e) => this.#onPoll(e) });
  }

  /** Stops listening. */
  detach(): void {
    this.#detach?.();
  }

  /** `store`, whose `commit` appends the pending polls to the transition it writes. */
  wrap(store: JobStore): JobStore {
    const commit = async (lease: Lease, t: Transition): Promise<void> => {
      if (this.#pending.length === 0) return store.commit(lease, t);
      const polls = this.#pending;
      this.#pending = [];
      try {
        // The polls happened before this transition: stored ahead of its own events, `logs` reads in time order.
        await store.commit(lease, { ...t, events: [...polls, ...(t.events ?? [])] });
      } catch (e) {
        this.#pending = [...polls, ...this.#pending];
        throw e;
      }
    };
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'commit') return commit;
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  #onPoll(e: ConditionPollEvent): void {
    const key = `${e.stepId}|${e.condition}`;
    const last = this.#last.get(key);
    if (last && last.count >= MAX_RECORDED_POLLS_PER_CONDITION) return;
    if (last && last.ok === e.ok && !e.passed) return;
    this.#last.set(key, { ok: e.ok, count: (last?.count ?? 0) + 1 });
    this.#pending.push({
      type: 'condition.poll',
      stepId: e.stepId,
      data: { at: e.at, condition: e.condition, ok: e.ok, held: e.heldSeconds, window: e.successWindowSeconds, detail: e.detail.slice(0, 300), passed: e.passed, ...(e.nodeId ? { nodeId: e.nodeId } : {}) },
    });
  }
}
