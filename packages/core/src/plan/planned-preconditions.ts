import { ConditionCheck, type ClusterCondition, type NodeCondition } from '../api/condition.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { TaskSpec } from './job-plan.js';

/**
 * The condition checks a plan adds before a task's own preconditions
 * (`TaskSpec.preconditions`: the workflow's `gates`, the replica_set ring
 * re-check), built with the registry, in plan order. The engine waits for
 * each, like the task's own, before `execute` on every attempt:
 *
 * ```ts
 * for (const check of [...plannedPreconditionChecks(spec, registry), ...task.preconditions()]) await waitForCondition(check, ctx);
 * ```
 *
 * @throws InvalidInputError when a condition's tag is not registered
 */
export function plannedPreconditionChecks(spec: Pick<TaskSpec, 'preconditions'>, registry: PluginRegistry): ConditionCheck[] {
  return (spec.preconditions ?? []).map((p) => {
    const condition = registry.create('condition', p.condition.$tag, p.condition.value ?? {}) as NodeCondition | ClusterCondition;
    return new ConditionCheck(condition, {
      ...(p.successWindowSeconds !== undefined ? { successWindowSeconds: p.successWindowSeconds } : {}),
      ...(p.pollIntervalSeconds !== undefined ? { pollIntervalSeconds: p.pollIntervalSeconds } : {}),
      ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: p.timeoutSeconds } : {}),
      ...(p.stallTimeoutSeconds !== undefined ? { stallTimeoutSeconds: p.stallTimeoutSeconds } : {}),
    });
  });
}
