import type { JobRecord, StepRecord } from '@scylla-cp/core';
import type { ServerClient } from '@scylla-cp/server';
import type { CliIo } from '../cli-io.js';
import type { Colors } from '../colors.js';
import { ExitCode } from '../exit-codes.js';
import { formatStoredEvent, stepIndex } from '../commands/job-events.js';
import { JobProgress } from '../progress/job-progress.js';
import { renderLiveView } from '../progress/live-render.js';

/** Options of {@link followRemoteJob}. */
export interface FollowRemoteOptions {
  io: CliIo;
  client: ServerClient;
  job: JobRecord;
  steps: readonly StepRecord[];
  colors: Colors;
  /** One JSON object per stored event instead of the live view. */
  json: boolean;
  /** Follow from this event on (0: the whole history). @default 0 */
  afterSeq?: number;
}

/**
 * The live view of a job run by a server, driven by its SSE event stream:
 * the same view as a local `run` (redrawn in place on a terminal, one line per
 * event otherwise, JSON lines with `--json`). The first Ctrl-C asks the server
 * to pause the job (the stream then ends with `paused`); the second stops
 * following and leaves the job as it is. Returns the exit code of the state
 * the job stopped in: 0 succeeded, 1 failed or cancelled, 3 paused (or no
 * longer followed).
 */
export async function followRemoteJob(o: FollowRemoteOptions): Promise<number> {
  const { io, client, job } = o;
  const progress = new JobProgress(job.plan);
  progress.applyRecords(o.steps);
  const index = stepIndex(job.plan);
  const tty = Boolean(io.stdout.isTTY) && io.env.TERM !== 'dumb' && !io.env.CI && !o.json;
  let drawn = 0;
  let state = job.state;
  const draw = () => {
    const lines = renderLiveView(progress, {
      now: Date.now(),
      startedAt: job.createdAt,
      state: state.toUpperCase(),
      width: io.stdout.columns ?? 100,
      colors: o.colors,
      subtitle: `job ${job.id} on ${client.url}`,
    });
    if (drawn > 0) io.stdout.write(`\u001b[${drawn}F\u001b[0J`);
    io.stdout.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const stop = new AbortController();
  let interrupts = 0;
  const off = io.onInterrupt(() => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr.write(`interrupt: asking the server to pause job ${job.id} after its steps in flight (Ctrl-C again to stop following)\n`);
      void client.control(job.id, 'pause').catch((e: Error) => io.stderr.write(`could not pause: ${e.message}\n`));
    } else {
      stop.abort();
    }
  });
  const timer = tty ? setInterval(draw, 1000) : undefined;
  try {
    if (tty) draw();
    const end = await client.follow(
      job.id,
      (e) => {
        progress.applyEvents([e]);
        if (e.type.startsWith('job.')) state = e.type.slice(4) as JobRecord['state'];
        if (o.json) io.stdout.write(`${JSON.stringify({ ...e, time: new Date(e.at).toISOString() })}\n`);
        else if (!tty) io.stdout.write(`${formatStoredEvent(e, index)}\n`);
      },
      { afterSeq: o.afterSeq ?? 0, signal: stop.signal },
    );
    state = end.state;
    if (tty) draw();
    if (!o.json) {
      const hint =
        end.state === 'paused'
          ? `\n  resume it: scylla-cp --server ${client.url} resume ${job.id}`
          : end.state === 'failed'
            ? `\n  inspect it: scylla-cp --server ${client.url} status ${job.id}\n  after fixing the cause: scylla-cp --server ${client.url} retry ${job.id}`
            : '';
      io.stdout.write(`job ${job.id} ${end.state}${hint}\n`);
    }
    if (end.state === 'succeeded') return ExitCode.OK;
    if (end.state === 'paused') return ExitCode.PAUSED;
    return interrupts > 0 && end.state === 'cancelled' ? ExitCode.PAUSED : ExitCode.FAILED;
  } catch (e) {
    if (stop.signal.aborted) {
      io.stdout.write(`stopped following job ${job.id}; it goes on on the server. Follow it again: scylla-cp --server ${client.url} status ${job.id} --watch\n`);
      return ExitCode.PAUSED;
    }
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    off();
  }
}
