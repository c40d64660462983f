import type { JobRecord, JobStore } from '@scylla-cp/core';
import type { CliIo } from '../cli-io.js';
import type { Colors } from '../colors.js';
import { ExitCode } from '../exit-codes.js';
import { JobProgress } from '../progress/job-progress.js';
import { renderLiveView } from '../progress/live-render.js';
import { runnerStatus } from '../runner-status.js';
import { formatStoredEvent, stepIndex } from './job-events.js';

const ACTIVE = new Set(['pending', 'running']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The exit code that goes with a job's state when a follower stops. */
export function exitCodeForState(state: JobRecord['state']): number {
  if (state === 'succeeded') return ExitCode.OK;
  if (state === 'paused') return ExitCode.PAUSED;
  return state === 'pending' || state === 'running' ? ExitCode.OK : ExitCode.FAILED;
}

/** Options of {@link watchJob}. */
export interface WatchOptions {
  io: CliIo;
  store: JobStore;
  jobId: string;
  colors: Colors;
  /** Store reads per second. @default 1 */
  intervalMs?: number;
}

/**
 * `status <job> --watch`: follows a job that another process runs, from the
 * store alone: the same live view as `run` (counts from the step records,
 * retries and errors from the event log, whether the runner is alive), redrawn
 * every second on a terminal, or printed when it changes otherwise. Ends when
 * the job is no longer running (or on Ctrl-C) with the job state's exit code.
 */
export async function watchJob(o: WatchOptions): Promise<number> {
  const { io, store } = o;
  const interval = o.intervalMs ?? 1000;
  let stop = false;
  const off = io.onInterrupt(() => {
    stop = true;
  });
  let drawn = 0;
  let lastText = '';
  let afterSeq = 0;
  const first = await store.getJob(o.jobId);
  const progress = new JobProgress(first.plan);
  try {
    for (;;) {
      const job = await store.getJob(o.jobId);
      progress.applyRecords(await store.getSteps(o.jobId));
      const events = await store.listEvents(o.jobId, { afterSeq });
      if (events.length > 0) afterSeq = events[events.length - 1]!.seq;
      progress.applyEvents(events);
      const now = Date.now();
      const runner = await runnerStatus(store, job, now);
      const lines = renderLiveView(progress, {
        now: ACTIVE.has(job.state) ? now : job.updatedAt,
        startedAt: job.createdAt,
        state: job.state.toUpperCase(),
        width: io.stdout.columns ?? 100,
        colors: o.colors,
        subtitle: `job ${job.id}  runner: ${runner.text}${job.control ? `  pending request: ${job.control}` : ''}`,
      });
      const text = lines.join('\n');
      if (io.stdout.isTTY) {
        if (drawn > 0) io.stdout.write(`\u001b[${drawn}F\u001b[0J`);
        io.stdout.write(`${text}\n`);
        drawn = lines.length;
      } else if (text.replace(/elapsed \S+|ETA [^(]+/g, '') !== lastText.replace(/elapsed \S+|ETA [^(]+/g, '')) {
        io.stdout.write(`${new Date(now).toISOString()}\n${text}\n`);
      }
      lastText = text;
      if (!ACTIVE.has(job.state) || runner.state === 'dead') {
        if (runner.state === 'dead') io.stdout.write(`the runner is ${runner.text}; resume the job with: scylla-cp resume ${job.id}\n`);
        return exitCodeForState(job.state);
      }
      if (stop) return ExitCode.OK;
      await sleep(interval);
      if (stop) return ExitCode.OK;
    }
  } finally {
    off();
  }
}

/** Options of {@link printLogs}. */
export interface LogsOptions {
  io: CliIo;
  store: JobStore;
  jobId: string;
  json: boolean;
  /** Only events at or after this time, ms. */
  since?: number;
  follow: boolean;
  /** @default 500 */
  intervalMs?: number;
}

/**
 * `logs <job>`: the job's event history from the store, one line per event
 * (or one JSON object per line); with `--follow`, keeps printing new events
 * until the job is no longer running (or Ctrl-C).
 */
export async function printLogs(o: LogsOptions): Promise<number> {
  const { io, store } = o;
  const job = await store.getJob(o.jobId);
  const steps = stepIndex(job.plan);
  let afterSeq = 0;
  let stop = false;
  const off = o.follow ? io.onInterrupt(() => (stop = true)) : () => {};
  try {
    for (;;) {
      const events = await store.listEvents(o.jobId, { afterSeq });
      for (const e of events) {
        afterSeq = e.seq;
        if (o.since !== undefined && e.at < o.since) continue;
        io.stdout.write(o.json ? `${JSON.stringify({ ...e, time: new Date(e.at).toISOString() })}\n` : `${formatStoredEvent(e, steps)}\n`);
      }
      if (!o.follow || stop) {
        if (events.length > 0 && !stop) continue; // the next page
        return ExitCode.OK;
      }
      const now = await store.getJob(o.jobId);
      if (!ACTIVE.has(now.state) && events.length === 0) return ExitCode.OK;
      await sleep(o.intervalMs ?? 500);
    }
  } finally {
    off();
  }
}
