import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '@scylla-cp/core';
import type { CliContext } from '../cli-context.js';
import { outputOption } from '../command-options.js';
import { renderOutput, type OutputFormat } from '../output-format.js';
import { intArg } from '../parse-flags.js';
import { runnerStatus } from '../runner-status.js';
import { printLogs, watchJob } from './follow-job.js';
import { parseSince } from './job-events.js';
import { renderHtmlReport } from './report-html.js';
import { formatJobs, formatStatus, jobRowData, planStepCount } from './status-report.js';

/**
 * The commands that read stored jobs and change nothing: `status` (one job,
 * or `--watch` it live), `jobs` (recent jobs), `logs` (a job's event
 * history) and `report` (an HTML report). Registered on `ctx.program` in that
 * order.
 */
export function registerJobViewCommands(ctx: CliContext): void {
  const { io, program } = ctx;
  program
    .command('status')
    .description('per zone, node and step: state, attempts, durations, last error; whether the runner is alive')
    .argument('<job-id>', 'the job')
    .addOption(outputOption())
    .option('--json', 'same as --output json')
    .option('-w, --watch', 'follow the job live (from the store) until it stops running')
    .action(async (jobId: string, o: { output?: OutputFormat; json?: boolean; watch?: boolean }) => {
      const store = await ctx.store();
      try {
        if (o.watch) {
          ctx.setExit(await watchJob({ io, store, jobId, colors: ctx.colors() }));
          return;
        }
        const job = await store.getJob(jobId);
        const steps = await store.getSteps(jobId);
        const runner = await runnerStatus(store, job, Date.now());
        const format = o.output ?? (o.json ? 'json' : undefined);
        io.stdout.write(
          format ? renderOutput({ job: { ...job, workflowText: undefined }, runner: { state: runner.state, text: runner.text, holder: runner.holder }, steps }, format) : formatStatus(job, steps, runner),
        );
      } finally {
        await store.close();
      }
    });

  program
    .command('jobs')
    .description('recent jobs: state, cluster, operator, progress, duration, whether the runner is alive')
    .option('--cluster <name>', 'only this cluster')
    .option('--limit <n>', 'how many', intArg(1), 20)
    .addOption(outputOption())
    .option('--json', 'same as --output json')
    .action(async (o: { cluster?: string; limit: number; output?: OutputFormat; json?: boolean }) => {
      const store = await ctx.store();
      try {
        const jobs = await store.listJobs({ ...(o.cluster !== undefined ? { cluster: o.cluster } : {}), limit: o.limit });
        const now = Date.now();
        const rows = await Promise.all(
          jobs.map(async (job) => {
            const steps = await store.getSteps(job.id);
            return { job, stepsDone: steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length, stepsTotal: planStepCount(job), runner: await runnerStatus(store, job, now) };
          }),
        );
        const format = o.output ?? (o.json ? 'json' : undefined);
        if (format) io.stdout.write(renderOutput(rows.map(jobRowData), format));
        else if (rows.length === 0 && o.cluster !== undefined) {
          const any = await store.listJobs({ limit: 200 });
          const clusters = [...new Set(any.map((j) => j.cluster))];
          io.stdout.write(`no jobs for cluster "${o.cluster}" in ${ctx.dbPath(ctx.config())}${clusters.length > 0 ? ` (clusters with jobs: ${clusters.join(', ')})` : ''}\n`);
        } else io.stdout.write(formatJobs(rows));
      } finally {
        await store.close();
      }
    });

  program
    .command('logs')
    .description("the job's event history: starts, attempts, retries, failures, pauses and resumes")
    .argument('<job-id>', 'the job')
    .option('-f, --follow', 'keep printing new events until the job stops running')
    .option('--json', 'one JSON object per event')
    .option('--since <when>', 'only events since a duration ago (90s, 15m, 2h, 1d) or an ISO-8601 time')
    .action(async (jobId: string, o: { follow?: boolean; json?: boolean; since?: string }) => {
      const since = o.since !== undefined ? parseSince(o.since, Date.now()) : undefined;
      const store = await ctx.store();
      try {
        ctx.setExit(await printLogs({ io, store, jobId, json: Boolean(o.json), follow: Boolean(o.follow), ...(since !== undefined ? { since } : {}) }));
      } finally {
        await store.close();
      }
    });

  program
    .command('report')
    .description('write a self-contained HTML report of a job: a timeline per zone and node, and a summary table')
    .argument('<job-id>', 'the job')
    .requiredOption('--html <file>', 'where to write the HTML file')
    .action(async (jobId: string, o: { html: string }) => {
      const out = path.resolve(io.cwd, o.html);
      if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new InvalidInputError(`--html ${out} is a directory; give a file name`, { code: 'BAD_FLAG' });
      if (!fs.existsSync(path.dirname(out))) throw new InvalidInputError(`--html ${out}: the folder ${path.dirname(out)} does not exist`, { code: 'BAD_FLAG' });
      const store = await ctx.store();
      try {
        const job = await store.getJob(jobId);
        const steps = await store.getSteps(jobId);
        const events = [];
        for (let after = 0; ; ) {
          const page = await store.listEvents(jobId, { afterSeq: after });
          if (page.length === 0) break;
          events.push(...page);
          after = page[page.length - 1]!.seq;
        }
        fs.writeFileSync(out, renderHtmlReport(job, steps, events));
        io.stdout.write(`report of job ${jobId} (${job.state}) written to ${out}\n`);
      } finally {
        await store.close();
      }
    });
}
