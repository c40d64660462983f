import { ACTIVE_JOB_STATES, ClusterLockedError, SystemClock, type Clock, type JobPlan, type JobStore, type PluginRegistry } from '@scylla-cp/core';
import type { CliIo } from '../cli-io.js';
import type { Colors } from '../colors.js';
import { canPrompt, confirm } from '../confirm.js';
import { ExitCode } from '../exit-codes.js';
import { cliOptionsOf, withCliOptions, type CliJobOptions } from '../job-options.js';
import { parseNotifySpec, type NotifySpec } from '../notify-spec.js';
import { executeJob } from './execute-job.js';
import { formatPreflight, runPreflight } from './preflight.js';
import { formatRunSummary } from './run-summary.js';

/** Notify settings from flags and config. */
export interface NotifySettings {
  notify: NotifySpec[];
  operatorMention?: string;
  notifyOnSuccess: boolean;
}

/** Options of {@link runNewJob}. */
export interface RunNewJobOptions {
  io: CliIo;
  colors: Colors;
  registry: PluginRegistry;
  plan: JobPlan;
  workflowText: string;
  operator: string;
  allowConcurrent: boolean;
  notify: NotifySettings;
  /** `--yes`: start without asking. */
  yes: boolean;
  /** `--dry-run`: plan and preflight, then stop. */
  dryRun: boolean;
  /** `--skip-preflight`: recorded with the job. */
  skipPreflight: boolean;
  json: boolean;
  dbPath: string;
  openStore(): Promise<JobStore>;
  clock?: Clock;
}

/**
 * `run`: prints the plan summary; refuses without a terminal unless `--yes`
 * (exit 2); runs the preflight (exit 1 with a table of what failed; nothing
 * touched) unless `--skip-preflight`; stops there with `--dry-run`; asks for
 * confirmation on a terminal unless `--yes`; then starts the job with the
 * notify references and the preflight decision recorded with it.
 */
export async function runNewJob(o: RunNewJobOptions): Promise<number> {
  const { io } = o;
  // Human text goes to stderr with --json, so that stdout stays one JSON object per line.
  const info = o.json ? io.stderr : io.stdout;
  if (!o.yes && !o.dryRun && !canPrompt(io)) {
    io.stderr.write(
      'error: run needs a confirmation and there is no terminal to ask on (stdin is not a TTY);\n' +
        '  pass --yes to start without asking, or --dry-run to only plan and run the preflight\n',
    );
    return ExitCode.INVALID_INPUT;
  }
  if (!o.allowConcurrent) {
    // Say that the cluster is locked before probing it (the store checks again, atomically, at start).
    const store = await o.openStore();
    try {
      const [holder] = await store.listJobs({ cluster: o.plan.cluster, states: [...ACTIVE_JOB_STATES], limit: 1 });
      if (holder) throw new ClusterLockedError(o.plan.cluster, holder.id, holder.operator, holder.state);
    } finally {
      await store.close();
    }
  }
  info.write(formatRunSummary(o.plan, o.notify.notify, o.operator));
  const clock = o.clock ?? new SystemClock();
  let preflight: CliJobOptions['preflight'];
  if (o.skipPreflight) {
    info.write('preflight: skipped (--skip-preflight; recorded with the job)\n');
  } else {
    info.write('preflight: checking the targeted nodes (nothing is changed)...\n');
    const checks = await runPreflight(o.plan, { registry: o.registry, clock });
    const failed = checks.filter((c) => !c.ok);
    info.write(formatPreflight(checks));
    if (failed.length > 0) {
      io.stderr.write('error: the preflight failed; fix the above (or, knowingly, pass --skip-preflight)\n');
      return ExitCode.FAILED;
    }
    preflight = { checks: checks.length, at: new Date(clock.now()).toISOString() };
  }
  if (o.dryRun) {
    info.write('dry run: nothing was started\n');
    return ExitCode.OK;
  }
  if (!o.yes) {
    const ok = await confirm(io, `start this job on ${o.plan.cluster}? [y/N] `);
    if (!ok) {
      io.stderr.write('not started (answer y to start)\n');
      return ExitCode.FAILED;
    }
  }
  const refs = o.notify.notify.filter((n) => n.reference).map((n) => n.reference!);
  const inClear = o.notify.notify.length - refs.length;
  if (inClear > 0) {
    info.write(
      `note: ${inClear} notify target(s) given as a URL are used by this process only and not stored; ` +
        'give them as kind:env:NAME or kind:file:PATH so that resume and retry page too\n',
    );
  }
  const cli: CliJobOptions = { notify: refs, skipPreflight: o.skipPreflight };
  if (o.notify.operatorMention !== undefined) cli.operatorMention = o.notify.operatorMention;
  if (o.notify.notifyOnSuccess) cli.notifyOnSuccess = true;
  if (preflight) cli.preflight = preflight;
  if (inClear > 0) cli.unstoredNotifyTargets = inClear;
  const store = await o.openStore();
  try {
    return await executeJob({
      io,
      store,
      registry: o.registry,
      json: o.json,
      dbPath: o.dbPath,
      colors: o.colors,
      ...o.notify,
      ...(o.clock ? { clock: o.clock } : {}),
      start: { kind: 'start', plan: withCliOptions(o.plan, cli), operator: o.operator, workflowText: o.workflowText, allowConcurrent: o.allowConcurrent },
    });
  } finally {
    await store.close();
  }
}

/**
 * The notify settings of a resumed job: the references stored with it
 * (resolved now: an environment variable that is no longer set is reported
 * and skipped) plus the ones given now.
 */
export function resumeNotify(plan: JobPlan, given: NotifySettings, io: CliIo): NotifySettings {
  const stored = cliOptionsOf(plan);
  if (!stored) return given;
  const out: NotifySpec[] = [...given.notify];
  for (const ref of stored.notify) {
    if (out.some((n) => n.reference === ref)) continue;
    try {
      out.push(parseNotifySpec(ref, io.env, io.cwd));
    } catch (e) {
      io.stderr.write(`warning: the job's notify target ${ref} cannot be used now: ${(e as Error).message}\n`);
    }
  }
  const r: NotifySettings = { notify: out, notifyOnSuccess: given.notifyOnSuccess || Boolean(stored.notifyOnSuccess) };
  const mention = given.operatorMention ?? stored.operatorMention;
  if (mention !== undefined) r.operatorMention = mention;
  return r;
}
