import type { ClusterCondition, ConditionCheck, NodeCondition } from './condition.js';
import type { ClusterExecutionContext, NodeExecutionContext } from './context.js';

/**
 * A task run on one node. **Tasks must be idempotent: running one twice must
 * leave the node as running it once does**, because a step interrupted by a
 * crash is attempted again on resume, and a failed attempt is retried.
 * Check the state first, then act only if needed:
 *
 * ```ts
 * class DrainTask implements ExecuteNodeTask {
 *   name() { return 'scylla-drain'; }
 *   preconditions() { return [ConditionCheck.withDefaults(new QuorumSafe()), ConditionCheck.withDefaults(new ClusterNormal())]; }
 *   async execute(ctx: NodeExecutionContext) {
 *     const api = scyllaApi(ctx);
 *     if ((await api.operationMode()) === 'DRAINED') return; // already done: a no-op
 *     await api.drain();
 *   }
 * }
 * ```
 *
 * Preconditions are evaluated before every attempt of `execute`.
 * Honour `ctx.signal` (a timeout, cancel --now or interrupt aborts it): the
 * engine counts an attempt as over only once `execute` has settled, waits for
 * it up to the step's abandon grace (`abandon_grace_seconds`, default 60),
 * and past that halts the job with `AttemptDidNotStopError`.
 * A task that takes its node down (or brings it back) says so on its plugin
 * definition (`disruptive` / `restores`, see `NodeTaskAvailability`), so that
 * liveness conditions count the node as down (`ctx.job.disruptedNodes`).
 * Throw `RecoverableError` for failures worth retrying and
 * `UnrecoverableError` for those a human must look at; anything else is
 * classified by `classifyError()`.
 */
export interface ExecuteNodeTask {
  /** A short name for logs and progress, usually the YAML tag. */
  name(): string;
  /** Conditions that must hold (each for its success window) before every attempt. */
  preconditions(): ConditionCheck<NodeCondition | ClusterCondition>[];
  /** Does the work. Must be idempotent (see above). May return a JSON-serializable result. */
  execute(ctx: NodeExecutionContext): Promise<unknown>;
}

/**
 * A task run once for the whole cluster. Same contract as
 * {@link ExecuteNodeTask}: idempotent, preconditions before every attempt.
 */
export interface ExecuteClusterTask {
  name(): string;
  preconditions(): ConditionCheck<ClusterCondition>[];
  execute(ctx: ClusterExecutionContext): Promise<unknown>;
}
