import type { z } from 'zod';
import type { VariableValue } from '../api/context.js';
import { formatProblem, InvalidInputError } from '../errors/input-errors.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import { substituteVariables } from '../workflow/variables.js';
import type { GateEntry } from '../workflow/workflow.js';
import { gateEntrySchema } from '../workflow/workflow-schemas.js';
import type { PlannedCondition } from './token-ring.js';

/**
 * A workflow gate as stored on each node task (`TaskSpec.preconditions`):
 * variables substituted, the condition's parameters and the timing validated
 * again with their values (`INVALID_PARAMS` naming the gate's location).
 */
export function plannedGate(g: GateEntry, vars: Record<string, VariableValue>, registry: PluginRegistry): PlannedCondition {
  const here = formatProblem({ message: '', location: g.location }).replace(/: $/, '');
  const fail = (detail: string) =>
    new InvalidInputError(`${here}: gate !${g.condition.$tag}: ${detail}; check the variable values given for this job`, {
      code: 'INVALID_PARAMS',
      details: { tag: g.condition.$tag, location: g.location },
    });
  const reg = registry.lookup('condition', g.condition.$tag);
  if (!reg) throw fail(`!${g.condition.$tag} is not a registered condition`);
  const value = substituteVariables(g.condition.value ?? {}, vars);
  const r = (reg.definition.params as z.ZodType).safeParse(value);
  if (!r.success) throw fail(r.error.issues.map((i) => `${i.path.join('.') || '(parameters)'}: ${i.message}`).join('; '));
  const timing = substituteVariables(
    {
      ...(g.successWindowSeconds !== undefined ? { success_window_seconds: g.successWindowSeconds } : {}),
      ...(g.pollIntervalSeconds !== undefined ? { poll_interval_seconds: g.pollIntervalSeconds } : {}),
      ...(g.timeoutSeconds !== undefined ? { timeout_seconds: g.timeoutSeconds } : {}),
      ...(g.stallTimeoutSeconds !== undefined ? { stall_timeout_seconds: g.stallTimeoutSeconds } : {}),
    },
    vars,
  ) as Record<string, unknown>;
  const t = gateEntrySchema.safeParse({ condition: g.condition, ...timing });
  if (!t.success) throw fail(t.error.issues.map((i) => `${i.path.join('.') || '(timing)'}: ${i.message}`).join('; '));
  const out: PlannedCondition = { condition: { $tag: g.condition.$tag, value } };
  if (t.data.success_window_seconds !== undefined) out.successWindowSeconds = t.data.success_window_seconds;
  if (t.data.poll_interval_seconds !== undefined) out.pollIntervalSeconds = t.data.poll_interval_seconds;
  if (t.data.timeout_seconds !== undefined) out.timeoutSeconds = t.data.timeout_seconds;
  if (t.data.stall_timeout_seconds !== undefined) out.stallTimeoutSeconds = t.data.stall_timeout_seconds;
  return out;
}
