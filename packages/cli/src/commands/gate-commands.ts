import { Option, type Command } from 'commander';
import { Engine, InvalidInputError, MaintenanceWindow, type JobPlan } from '@scylla-cp/core';
import type { CliContext } from '../cli-context.js';
import { ExitCode } from '../exit-codes.js';
import { buildRegistry } from '../runtime.js';
import { resolveOperator } from '../state-paths.js';
import { wholeNumberAtLeast } from '../parse-flags.js';
import { resumeJob } from './resume-job.js';

/**
 * Issue 15's human gates and maintenance windows in the CLI: `--window`,
 * `--timezone` and `--stop-after` on `plan` and `run` ({@link gateFlags},
 * {@link applyGateFlags}) and the `approve` command
 * ({@link registerApproveCommand}).
 */

/** Adds `--window`, `--timezone` and `--stop-after` to a `plan`/`run` command. */
export function gateFlags(c: Command): Command {
  return c
    .option('--window <schedule>', "maintenance window: no node starts outside it, e.g. 'Mon-Fri 09:00-17:00' (rules joined by ';'); replaces the workflow's maintenance_window")
    .option('--timezone <zone>', "IANA time zone of the window, e.g. Europe/Paris (default: the workflow's, else UTC)")
    .addOption(new Option('--stop-after <n>', 'canary: pause for approval after this many nodes finished (scylla-cp approve <job> goes on)').argParser(wholeAtLeastOne));
}

function wholeAtLeastOne(v: string): number {
  const n = wholeNumberAtLeast(v, 1);
  if (n === undefined) throw new InvalidInputError(`--stop-after ${v}: expected a whole number >= 1`, { code: 'BAD_FLAG' });
  return n;
}

/**
 * The plan with the flags of {@link gateFlags} applied: `--window` (with
 * `--timezone`, default the workflow window's zone, else UTC) replaces the
 * plan's maintenance window; `--timezone` alone re-zones the workflow's;
 * `--stop-after N` sets `stopAfterNodes`.
 * @throws InvalidInputError (exit 2): a bad schedule or zone, `--timezone` without any window.
 */
export function applyGateFlags(plan: JobPlan, o: { window?: string; timezone?: string; stopAfter?: number }): JobPlan {
  const out: JobPlan = { ...plan };
  if (o.window !== undefined || o.timezone !== undefined) {
    const schedule = o.window ?? plan.maintenanceWindow?.schedule;
    if (schedule === undefined) {
      throw new InvalidInputError('--timezone needs a maintenance window: give --window too, or a maintenance_window in the workflow', { code: 'BAD_FLAG' });
    }
    const timezone = o.timezone ?? plan.maintenanceWindow?.timezone ?? 'UTC';
    const w = new MaintenanceWindow({ schedule, timezone }); // INVALID_WINDOW / INVALID_TIMEZONE
    out.maintenanceWindow = { schedule: w.schedule, timezone: w.timezone };
  }
  if (o.stopAfter !== undefined) out.stopAfterNodes = o.stopAfter;
  return out;
}

/**
 * `scylla-cp approve <job> [--step <id>] [--operator <name>] [--no-resume]`:
 * records the approval of the step the paused job waits for (an `!approval`
 * step or the `--stop-after` canary; `--step` names one, also ahead of time),
 * with the approver, as a `job.approved` event; then resumes the job in the
 * foreground like `resume` (unless `--no-resume`). Exit 2 when the job waits
 * for no approval or the step is not an approval.
 */
export function registerApproveCommand(ctx: CliContext): void {
  const { io } = ctx;
  ctx.program
    .command('approve')
    .description('approve the step a paused job waits for (an !approval step or the --stop-after canary), recorded with your name, then resume it')
    .argument('<job-id>', 'the job')
    .option('--step <id>', 'the approval step (default: the one the job waits for); approving a later one ahead of time is allowed')
    .option('--operator <name>', 'who approves (default: $SCYLLA_CP_OPERATOR or your user name)')
    .option('--no-resume', 'only record the approval; resume later with scylla-cp resume')
    .option('--json', 'print engine events as JSON lines while it runs')
    .action(async (jobId: string, o: { step?: string; operator?: string; resume?: boolean; json?: boolean }) => {
      const cfg = ctx.config();
      const registry = await buildRegistry(cfg, io.cwd);
      const store = await ctx.store(cfg);
      const approver = resolveOperator(io.env, o.operator, cfg.operator);
      try {
        const engine = new Engine({ store, registry });
        let stepId: string;
        try {
          stepId = await engine.approve(jobId, { approver, ...(o.step !== undefined ? { stepId: o.step } : {}) });
        } finally {
          await engine.close();
        }
        const info = o.json ? io.stderr : io.stdout;
        info.write(`approved: step ${stepId} of job ${jobId} by ${approver} (recorded in the job's events)\n`);
        if (o.resume === false) {
          info.write(`  resume it: scylla-cp resume ${jobId}\n`);
          ctx.setExit(ExitCode.OK);
          return;
        }
        ctx.setExit(
          await resumeJob(ctx, {
            cfg,
            store,
            registry,
            json: Boolean(o.json),
            notify: () => ({ notify: [], notifyOnSuccess: false }),
            start: { kind: 'resume', jobId, retryFailed: false, force: false },
          }),
        );
      } finally {
        await store.close();
      }
    });
}
