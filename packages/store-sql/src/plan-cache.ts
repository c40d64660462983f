import type { JobPlan } from '@scylla-cp/core';

/** Freezes a parsed JSON value and everything in it (recursing only into objects). */
export function deepFreeze<T>(value: T): T {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v);
    }
  } else {
    for (const k in value) {
      const v: unknown = (value as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v);
    }
  }
  return value;
}

/**
 * Parsed plans of the most recently read jobs (least recently used dropped).
 * A plan never changes after `createJob`, and a large one (100,000 steps)
 * costs tens of ms to parse, so a store parses it once, deep-freezes it and
 * returns that same object in every `JobRecord` of the job.
 */
export class PlanCache {
  readonly #plans = new Map<string, JobPlan>();
  /** @param capacity how many plans to keep. @default 16 */
  constructor(readonly capacity = 16) {}

  /** The cached plan of `jobId` (now the most recently used), if any. */
  get(jobId: string): JobPlan | undefined {
    const plan = this.#plans.get(jobId);
    if (plan !== undefined) {
      this.#plans.delete(jobId);
      this.#plans.set(jobId, plan);
    }
    return plan;
  }

  /** Parses `planJson`, freezes and caches it as the plan of `jobId`, and returns it. */
  put(jobId: string, planJson: string): JobPlan {
    const plan = deepFreeze(JSON.parse(planJson) as JobPlan);
    this.#plans.set(jobId, plan);
    if (this.#plans.size > this.capacity) this.#plans.delete(this.#plans.keys().next().value as string);
    return plan;
  }
}
