import type { JobPlan } from '@scylla-cp/core';
import { describeNotifySpec, type NotifySpec } from '../notify-spec.js';

/**
 * What `run` shows before asking for confirmation: the cluster, per node
 * workflow its tasks and the nodes of each batch with the concurrency limit,
 * the cluster tasks, the variables, and the notify targets with their secrets
 * redacted.
 */
export function formatRunSummary(plan: JobPlan, notify: readonly NotifySpec[], operator: string): string {
  const out: string[] = [];
  const nodeCount = new Set(plan.steps.flatMap((s) => (s.kind === 'node-workflow' ? s.batches.flatMap((b) => b.nodes) : []))).size;
  out.push(`workflow:  ${plan.workflowName}`);
  out.push(`cluster:   ${plan.cluster} (${plan.inventory.nodes.length} nodes in the inventory, ${nodeCount} targeted)`);
  out.push(`operator:  ${operator}`);
  plan.steps.forEach((step, i) => {
    if (step.kind === 'cluster-task') {
      out.push(`step ${i + 1}: cluster task !${step.task.tag}`);
      return;
    }
    out.push(`step ${i + 1}: ${step.name}: on each node ${step.tasks.map((t) => `!${t.tag}`).join(' → ')}`);
    out.push(`  by ${step.concurrencyUnit}, at most ${step.concurrencyLimit} node(s) at a time${step.abortOnFirstFailure ? ', stops at the first failed node' : ''}`);
    for (const b of step.batches) out.push(`  ${step.concurrencyUnit} ${b.unit}: ${b.nodes.join(', ')}`);
  });
  const vars = Object.entries(plan.variables);
  out.push(`variables: ${vars.length === 0 ? '(none)' : vars.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
  out.push(`notify:    ${notify.length === 0 ? '(none)' : notify.map(describeNotifySpec).join(', ')}`);
  return `${out.join('\n')}\n`;
}
