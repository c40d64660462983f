import { ACTIVE_JOB_STATES, type JobRecord, type StepRecord } from '@scylla-cp/core';
import { cliOptionsOf } from '../job-options.js';
import { formatDuration } from '../progress/job-progress.js';
import type { RunnerStatus } from '../runner-status.js';

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const dur = (r: StepRecord | undefined) =>
  r?.startedAt !== undefined && r.finishedAt !== undefined ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)}s` : '';

/**
 * The `status` report: the job, then per cluster step, per batch (zone, rack,
 * dc) and node, each step's state, attempts, duration and last error.
 */
export function formatStatus(job: JobRecord, steps: readonly StepRecord[], runner?: RunnerStatus): string {
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const out: string[] = [];
  out.push(`job ${job.id}  ${job.state.toUpperCase()}`);
  out.push(`  workflow: ${job.workflowName}`);
  out.push(`  cluster:  ${job.cluster}`);
  out.push(`  operator: ${job.operator}`);
  out.push(`  created:  ${iso(job.createdAt)}   updated: ${iso(job.updatedAt)}`);
  if (runner && runner.state !== 'none') out.push(`  runner:   ${runner.text}${runner.holder ? ` [${runner.holder}]` : ''}`);
  if (runner?.state === 'dead') out.push(`            take it over: scylla-cp resume ${job.id}${runner.provablyDead ? ' --force' : ''}`);
  if (job.control) out.push(`  pending request: ${job.control}`);
  if (job.error) out.push(`  error:    ${job.error.message}`);
  if (job.state === 'failed' && ACTIVE_JOB_STATES.includes('failed')) {
    out.push(`  lock:     this failed job keeps the cluster lock on ${job.cluster} (a node may be down mid-operation); retry it or cancel it`);
  }
  const cli = cliOptionsOf(job.plan);
  if (cli) {
    out.push(`  preflight: ${cli.skipPreflight ? 'SKIPPED (--skip-preflight)' : cli.preflight ? `passed (${cli.preflight.checks} checks at ${cli.preflight.at})` : 'not recorded'}`);
    if (cli.notify.length > 0) out.push(`  notify:   ${cli.notify.join(', ')}`);
  }
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

/** A job's row in `jobs`: its record, steps done/total, and its runner. */
export interface JobRow {
  job: JobRecord;
  stepsDone: number;
  stepsTotal: number;
  runner: RunnerStatus;
}

/** Steps in a plan (cluster steps and node steps). */
export function planStepCount(job: JobRecord): number {
  return job.plan.steps.reduce((a, s) => a + (s.kind === 'cluster-task' ? 1 : s.tasks.length * s.batches.reduce((b, x) => b + x.nodes.length, 0)), 0);
}

/** A job row as plain data (`jobs --output json|yaml`). */
export function jobRowData(r: JobRow): Record<string, unknown> {
  const j = r.job;
  return {
    id: j.id,
    state: j.state,
    cluster: j.cluster,
    operator: j.operator,
    workflow: j.workflowName,
    createdAt: new Date(j.createdAt).toISOString(),
    updatedAt: new Date(j.updatedAt).toISOString(),
    durationSeconds: Math.round((j.updatedAt - j.createdAt) / 1000),
    stepsDone: r.stepsDone,
    stepsTotal: r.stepsTotal,
    runner: r.runner.state,
    ...(r.runner.holder ? { runnerHolder: r.runner.holder } : {}),
  };
}

/** The `jobs` table: newest first, with progress, duration (creation to last change) and whether the runner is alive. */
export function formatJobs(rows_: readonly JobRow[]): string {
  if (rows_.length === 0) return 'no jobs in this store\n';
  const rows = rows_.map(({ job: j, stepsDone, stepsTotal, runner }) => [
    j.id,
    j.state,
    j.cluster,
    j.operator,
    `${stepsDone}/${stepsTotal}`,
    formatDuration(j.updatedAt - j.createdAt),
    runner.state === 'none' ? '-' : runner.state,
    iso(j.createdAt),
    j.workflowName,
  ]);
  const head = ['JOB', 'STATE', 'CLUSTER', 'OPERATOR', 'STEPS', 'DURATION', 'RUNNER', 'CREATED', 'WORKFLOW'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}
