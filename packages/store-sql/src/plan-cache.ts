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
 * A large plan (100,000 steps) costs tens of ms to parse, so a store parses it
 * once, deep-freezes it and returns that same object in every `JobRecord` of
 * the job. A plan changes only when a commit re-binds it, which increments
 * the job's `plan_rev`: the cache keeps each plan with its revision, so a
 * plan re-bound by any process is read again.
 */
export class PlanCache {
  readonly #plans = new Map<string, { rev: number; plan: JobPlan }>();
  /** @param capacity how many plans to keep. @default 16 */
  constructor(readonly capacity = 16) {}

  /** The cached plan of `jobId` at revision `rev` (now the most recently used), if any. */
  get(jobId: string, rev: number): JobPlan | undefined {
    const entry = this.#plans.get(jobId);
    if (entry === undefined || entry.rev !== rev) return undefined;
    this.#plans.delete(jobId);
    this.#plans.set(jobId, entry);
    return entry.plan;
  }

  /** Parses `planJson`, freezes and caches it as revision `rev` of the plan of `jobId`, and returns it. */
  put(jobId: string, rev: number, planJson: string): JobPlan {
    const plan = deepFreeze(JSON.parse(planJson) as JobPlan);
    this.#plans.delete(jobId);
    this.#plans.set(jobId, { rev, plan });
    if (this.#plans.size > this.capacity) this.#plans.delete(this.#plans.keys().next().value as string);
    return plan;
  }
}
