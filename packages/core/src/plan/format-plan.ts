import type { JobPlan, ReplicaSetPlan, TaskSpec } from './job-plan.js';
import { DEFAULT_RETRIES, DEFAULT_RETRY_BACKOFF } from './planner.js';

function compactJson(v: unknown): string {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return '';
  const s = JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) && typeof (x as { $tag?: unknown }).$tag === 'string'
      ? `!${(x as { $tag: string }).$tag}${compactJson((x as { value?: unknown }).value) ? ` ${compactJson((x as { value?: unknown }).value)}` : ''}`
      : x,
  );
  return s ?? '';
}

function describeTask(t: TaskSpec): string {
  const params = compactJson(t.params);
  const parts = [`!${t.tag}${params ? ` ${params}` : ''}`];
  const extra: string[] = [];
  if (t.retries !== DEFAULT_RETRIES) {
    const b = t.retryBackoff;
    extra.push(`retries ${t.retries} (backoff ${b.initialSeconds}s x${b.multiplier}, max ${b.maxSeconds}s)`);
  } else if (
    t.retryBackoff.initialSeconds !== DEFAULT_RETRY_BACKOFF.initialSeconds ||
    t.retryBackoff.multiplier !== DEFAULT_RETRY_BACKOFF.multiplier ||
    t.retryBackoff.maxSeconds !== DEFAULT_RETRY_BACKOFF.maxSeconds
  ) {
    extra.push('no retries');
  }
  if (t.timeoutSeconds !== undefined) extra.push(`timeout ${t.timeoutSeconds}s per attempt`);
  if (t.abandonGraceSeconds !== undefined) extra.push(`abandon grace ${t.abandonGraceSeconds}s`);
  if (extra.length > 0) parts.push(`[${extra.join(', ')}]`);
  if (t.preconditions?.length) parts.push(`(first waits for ${t.preconditions.map((c) => compactJson(c.condition)).join(', ')})`);
  return parts.join(' ');
}

function describeReplicaSets(r: ReplicaSetPlan): string[] {
  const out = [
    `   replica sets: nodes run together only when no two of them replicate a common token range of ${r.keyspaces.join(', ')}${
      r.within ? `; one ${r.within} at a time` : ''
    } (ring ${r.ringDigest.slice(0, 12)}, re-checked before each node starts)`,
  ];
  for (const g of r.groups) {
    const head = g.unit === 'all' ? '   ' : `   ${r.within} ${g.unit}: `;
    let why: string;
    if (g.lowerBound <= 1) why = 'no two nodes share a range';
    else {
      const clique = g.clique.length > 6 ? `${g.clique.slice(0, 6).join(', ')}, ...` : g.clique.join(', ');
      const range = g.cliqueRange ? ` all replicate range (${g.cliqueRange.start}, ${g.cliqueRange.end}] of ${g.cliqueRange.keyspace}` : ' pairwise share a range';
      why =
        g.fractionalBound !== undefined
          ? `at least ${g.lowerBound} sets are needed: weighing the nodes, no conflict-free set holds more than 1/${g.fractionalBound} of the total; ${g.clique.length} nodes (${clique})${range}`
          : `at least ${g.lowerBound} sets are needed: ${clique}${range}`;
    }
    out.push(
      `${head}${g.nodes} nodes, ${g.conflictPairs} conflicting pairs, ${g.sets} set${g.sets === 1 ? '' : 's'} (${g.optimal ? 'optimal' : `at most ${g.sets - g.lowerBound} more than the minimum`}); ${why}`,
    );
  }
  return out;
}

/**
 * A human-readable dry run of a plan: the steps in order; for each node
 * workflow its settings, node tasks and batches with their nodes in start
 * order. Deterministic (no times, no colours).
 */
export function formatPlan(plan: JobPlan): string {
  const lines: string[] = [];
  lines.push(`Plan: workflow "${plan.workflowName}" on cluster "${plan.cluster}" (${plan.inventory.nodes.length} nodes in inventory)`);
  const t = plan.targeting;
  const what = t.nodes ? `nodes ${t.nodes.join(', ')}` : t.zones ? `zones ${t.zones.join(', ')}` : 'all nodes';
  lines.push(`Targeting: ${what}${t.exclude?.length ? `, excluding ${t.exclude.join(', ')}` : ''}`);
  const joining = plan.inventory.nodes.filter((n) => n.new || n.replaces !== undefined);
  if (joining.length > 0) {
    lines.push(`New nodes: ${joining.map((n) => (n.replaces !== undefined ? `${n.id} (replaces ${n.replaces})` : `${n.id} (joins ${n.dc}/${n.rack})`)).join(', ')}`);
  }
  const vars = Object.entries(plan.variables);
  if (vars.length > 0) lines.push(`Variables: ${vars.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(', ')}`);
  if (plan.maintenanceWindow) {
    lines.push(`Maintenance window: ${plan.maintenanceWindow.schedule} (${plan.maintenanceWindow.timezone ?? 'UTC'}); no node starts outside it`);
  }
  if (plan.stopAfterNodes !== undefined) {
    lines.push(`Canary: pauses for approval after ${plan.stopAfterNodes} node(s) finished (scylla-cp approve <job> goes on)`);
  }
  plan.steps.forEach((s, i) => {
    if (s.kind === 'cluster-task') {
      lines.push(`${i + 1}. [${s.id}] cluster task ${describeTask(s.task)}`);
      return;
    }
    const nodeCount = s.batches.reduce((a, b) => a + b.nodes.length, 0);
    const membership = s.membership;
    const unitWord = s.concurrencyUnit === 'replica_set' ? 'replica set' : s.concurrencyUnit;
    const limit = s.concurrencyUnit === 'node' ? 'one node at a time' : `up to ${s.concurrencyLimit} node${s.concurrencyLimit === 1 ? '' : 's'} at a time per ${unitWord}`;
    lines.push(
      `${i + 1}. [${s.id}] node workflow "${s.name}": ${nodeCount} ${membership === 'new' ? 'new ' : ''}nodes${membership === 'all' ? ' (members and new)' : ''}, ${s.batches.length} ${unitWord} batch${s.batches.length === 1 ? '' : 'es'} run one after another, ${limit}, ${
        s.abortOnFirstFailure ? 'halt on first failure' : 'continue past failures'
      }`,
    );
    if (s.replicaSet) lines.push(...describeReplicaSets(s.replicaSet));
    if (s.roles) {
      lines.push(
        `   role-aware order: unhealthy first (${s.roles.unhealthy.length > 0 ? s.roles.unhealthy.join(', ') : 'none'}), group0 leader last (${s.roles.leader ?? 'unknown'})${
          s.roles.source ? `, ${s.roles.source}` : ''
        }`,
      );
    }
    lines.push('   on each node, in order:');
    s.tasks.forEach((task, j) => lines.push(`     t${j}. ${describeTask(task)}`));
    for (const b of s.batches) {
      lines.push(`   batch ${b.id} ${unitWord === 'replica set' ? '' : `${unitWord} `}${b.unit} (${b.nodes.length}): ${b.nodes.join(', ')}`);
      if (b.reason) lines.push(`     why: ${b.reason}`);
    }
  });
  if (plan.finallySteps?.length) {
    lines.push('Finally, when the job ends in any way (succeeded, failed or cancelled), in order:');
    for (const f of plan.finallySteps) lines.push(`   [${f.id}] cluster task ${describeTask(f.task)}`);
  }
  return `${lines.join('\n')}\n`;
}
