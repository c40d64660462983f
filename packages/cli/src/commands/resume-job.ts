import type { JobStore, PluginRegistry } from '@scylla-cp/core';
import type { CliContext } from '../cli-context.js';
import type { CliConfig } from '../config-file.js';
import { executeJob, type JobStart } from './execute-job.js';
import { resumeNotify, type NotifySettings } from './run-job.js';

/** Options of {@link resumeJob}. */
export interface ResumeJobOptions {
  cfg: CliConfig;
  /** The open job store; the caller closes it. */
  store: JobStore;
  registry: PluginRegistry;
  /** Which job, whether its failed steps are attempted again, `--force`, a re-binding. */
  start: Extract<JobStart, { kind: 'resume' }>;
  /**
   * The notify settings given now; called after the job is read (so an
   * unknown job id is reported first), then merged with the references stored
   * with the job ({@link resumeNotify}).
   */
  notify: () => NotifySettings;
  /** `--json`: engine events as JSON lines instead of the human views. */
  json: boolean;
}

/**
 * Resumes a stored job in the foreground (`resume`, `retry`, and `approve`
 * unless `--no-resume`): reads the job, pages the stored notify targets plus
 * the given ones, runs it with the live view (or JSON lines) and returns the
 * exit code (see `ExitCode`).
 */
export async function resumeJob(ctx: CliContext, o: ResumeJobOptions): Promise<number> {
  const job = await o.store.getJob(o.start.jobId);
  return executeJob({
    io: ctx.io,
    store: o.store,
    registry: o.registry,
    json: o.json,
    dbPath: ctx.dbPath(o.cfg),
    colors: ctx.colors(),
    ...resumeNotify(job.plan, o.notify(), ctx.io),
    start: o.start,
  });
}
