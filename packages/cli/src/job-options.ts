import type { JobPlan } from '@scylla-cp/core';

/**
 * What the CLI records with a job beside the engine's plan: the notify targets
 * given as references (never a URL in clear), whether the preflight was skipped,
 * and when the preflight ran. Stored in the job's plan under the key `cli` (the
 * plan is stored as JSON with the job; the engine ignores keys it does not know),
 * so that `resume` and `retry` page the same targets and `status` can say that
 * the preflight was skipped.
 */
export interface CliJobOptions {
  /** `discord:env:NAME`, `slack:file:/abs/path`, ... (see `parseNotifySpec`). */
  notify: string[];
  /** `--operator-mention`. */
  operatorMention?: string;
  /** `--notify-on-success`. */
  notifyOnSuccess?: boolean;
  /** `--skip-preflight` was given: the preflight did not run. */
  skipPreflight: boolean;
  /** The preflight's result when it ran: the number of checks, all passed. */
  preflight?: { checks: number; at: string };
  /** Notify targets given as URLs in clear that were not stored (their count). */
  unstoredNotifyTargets?: number;
}

/** A plan with the CLI's options. */
export type PlanWithCliOptions = JobPlan & { cli?: CliJobOptions };

/** The plan to store for a new job: `plan` with `options` under `cli`. */
export function withCliOptions(plan: JobPlan, options: CliJobOptions): PlanWithCliOptions {
  return { ...plan, cli: options };
}

/** The CLI options stored with a job, if any (jobs started by the SDK or older CLIs have none). */
export function cliOptionsOf(plan: JobPlan): CliJobOptions | undefined {
  const o = (plan as PlanWithCliOptions).cli;
  return o && typeof o === 'object' && Array.isArray(o.notify) ? o : undefined;
}
