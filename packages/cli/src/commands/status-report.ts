import type { JobRecord, StepRecord } from '@scylla-cp/core';

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const dur = (r: StepRecord | undefined) =>
  r?.startedAt !== undefined && r.finishedAt !== undefined ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)}s` : '';

/**
 * The `status` report: the job, then per cluster step, per batch (zone, rack,
 * dc) and node, each step's state, attempts, duration and last error.
 */
export function formatStatus(job: JobRecord, steps: readonly StepRecord[]): string {
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const out: string[] = [];
  out.push(`job ${job.id}  ${job.state.toUpperCase()}`);
  out.push(`  workflow: ${job.workflowName}`);
  out.push(`  cluster:  ${job.cluster}`);
  out.push(`  operator: ${job.operator}`);
  out.push(`  created:  ${iso(job.createdAt)}   updated: ${iso(job.updatedAt)}`);
  if (job.control) out.push(`  pending request: ${job.control}`);
  if (job.error) out.push(`  error:    ${job.error.name}: ${job.error.message}`);
  let total = 0;
  let done = 0;
  for (const step of job.plan.steps) {
    if (step.kind === 'cluster-task') {
      const r = byId.get(step.id);
      total++;
      if (r?.state === 'succeeded') done++;
      out.push(`- ${step.id} !${step.task.tag}: ${r?.state ?? 'pending'}${r ? ` (attempts ${r.attempts}${dur(r) ? `, ${dur(r)}` : ''})` : ''}`);
      if (r?.lastError && r.state !== 'succeeded') out.push(`    last error: ${r.lastError.message}`);
      continue;
    }
    out.push(`- ${step.id} ${step.name} (by ${step.concurrencyUnit}, limit ${step.concurrencyLimit}${step.abortOnFirstFailure ? ', abort on first failure' : ''})`);
    for (const batch of step.batches) {
      const nodeLines: string[] = [];
      let batchDone = 0;
      for (const nodeId of batch.nodes) {
        const recs = step.tasks.map((_, i) => byId.get(`${step.id}/${nodeId}/t${i}`));
        total += step.tasks.length;
        const okCount = recs.filter((r) => r?.state === 'succeeded').length;
        done += okCount;
        if (okCount === step.tasks.length) batchDone++;
        const state = recs.some((r) => r?.state === 'failed')
          ? 'FAILED'
          : okCount === step.tasks.length
            ? 'done'
            : recs.some((r) => r?.state === 'running')
              ? 'RUNNING'
              : okCount > 0
                ? 'partial'
                : 'pending';
        nodeLines.push(`    ${nodeId}: ${state} (${okCount}/${step.tasks.length} steps)`);
        if (state === 'pending') continue;
        step.tasks.forEach((t, i) => {
          const r = recs[i];
          if (!r) return;
          nodeLines.push(`      t${i} !${t.tag}: ${r.state}, attempts ${r.attempts}${dur(r) ? `, ${dur(r)}` : ''}`);
          if (r.lastError && r.state !== 'succeeded') nodeLines.push(`        last error: ${r.lastError.message}`);
        });
      }
      out.push(`  ${step.concurrencyUnit} ${batch.unit}: ${batchDone}/${batch.nodes.length} nodes done`);
      out.push(...nodeLines);
    }
  }
  out.push(`progress: ${done}/${total} steps succeeded`);
  return `${out.join('\n')}\n`;
}

/** The `jobs` table: newest first. */
export function formatJobs(jobs: readonly JobRecord[]): string {
  if (jobs.length === 0) return 'no jobs in this store\n';
  const rows = jobs.map((j) => [j.id, j.state, j.cluster, j.operator, iso(j.createdAt), j.workflowName]);
  const head = ['JOB', 'STATE', 'CLUSTER', 'OPERATOR', 'CREATED', 'WORKFLOW'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}
