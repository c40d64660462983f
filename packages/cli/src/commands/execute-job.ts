import {
  ACTIVE_JOB_STATES,
  Engine,
  type Clock,
  type ClusterInventory,
  LeaseHeldError,
  type JobHandle,
  type JobOutcome,
  type JobPlan,
  type JobStore,
  type PluginRegistry,
  type StepRecord,
  SystemClock,
  WebhookNotifier,
} from '@scylla-cp/core';
import type { CliIo } from '../cli-io.js';
import type { Colors } from '../colors.js';
import { ExitCode } from '../exit-codes.js';
import type { NotifySpec } from '../notify-spec.js';
import { JsonProgressView } from '../progress/json-view.js';
import { LineProgressView } from '../progress/line-view.js';
import type { ProgressView } from '../progress/progress-view.js';
import { PollRecorder } from '../progress/poll-recorder.js';
import { TtyProgressView } from '../progress/tty-view.js';

/** How the job is begun: a new plan, or an existing job to resume (optionally retrying failed steps). */
export type JobStart =
  | { kind: 'start'; plan: JobPlan; operator: string; workflowText: string; allowConcurrent: boolean }
  | {
      kind: 'resume';
      jobId: string;
      retryFailed: boolean;
      /** `--force`: take over at once from a provably dead runner; else wait for its lease to expire, saying how long. */
      force?: boolean;
      /** `--inventory FILE`: re-bind connection settings (same nodes). */
      inventory?: ClusterInventory;
      /** Who resumes (recorded with a re-binding). */
      operator?: string;
    };

/** Options of {@link executeJob}. */
export interface ExecuteJobOptions {
  io: CliIo;
  store: JobStore;
  registry: PluginRegistry;
  start: JobStart;
  /** `--json`: an event stream instead of the human views. */
  json: boolean;
  notify: NotifySpec[];
  operatorMention?: string;
  notifyOnSuccess: boolean;
  /** The store path, for the "resume with" hints. */
  dbPath: string;
  /** @default new SystemClock() */
  clock?: Clock;
  colors: Colors;
}

/** Picks the progress view: `--json`, a live view on a TTY, plain lines otherwise. */
function chooseView(
  io: CliIo,
  o: { json: boolean; plan: JobPlan; clock: Clock; colors: Colors; records?: readonly StepRecord[]; startedAt?: number },
): ProgressView {
  if (o.json) return new JsonProgressView(io.stdout);
  if (io.stdout.isTTY && io.env.TERM !== 'dumb' && !io.env.CI) {
    return new TtyProgressView(io.stdout, o.plan, () => o.clock.now(), {
      colors: o.colors,
      ...(o.records ? { records: o.records } : {}),
      ...(o.startedAt !== undefined ? { startedAt: o.startedAt } : {}),
    });
  }
  return new LineProgressView(io.stdout, () => o.clock.now());
}

/**
 * Resumes a stored job. With `force`, a runner provably dead on this host is
 * taken over at once; a runner that may still live keeps its lease, so this
 * says how long until it expires and waits for that (re-trying once the lease
 * is free). Without `force`, a held lease is an error saying how long.
 */
async function resumeWithLeaseWait(
  engine: Engine,
  start: Extract<JobStart, { kind: 'resume' }>,
  say: (m: string) => void,
  interrupted: () => boolean,
): Promise<JobHandle | undefined> {
  const opts = {
    retryFailed: start.retryFailed,
    ...(start.force ? { force: true } : {}),
    ...(start.inventory ? { inventory: start.inventory } : {}),
    ...(start.operator ? { operator: start.operator } : {}),
  };
  for (;;) {
    try {
      return await engine.resume(start.jobId, opts);
    } catch (e) {
      if (!(e instanceof LeaseHeldError) || !start.force) throw e;
      const waitMs = Math.max(500, (e.remainingMs ?? 5_000) + 250);
      say(`the runner ${e.holder} is not provably dead (it may run on another host or still be alive); waiting ${Math.ceil(waitMs / 1000)} s for its lease to expire`);
      for (const until = Date.now() + waitMs; Date.now() < until; ) {
        if (interrupted()) return undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (interrupted()) return undefined;
    }
  }
}

/** SIGINTs closer together than this (ms) count as one Ctrl-C (npm forwards the terminal's). */
export const INTERRUPT_DEDUP_MS = 250;

/** The exit code for a run's outcome (see `ExitCode`). */
export function exitCodeFor(outcome: JobOutcome, interrupted: boolean): ExitCode {
  switch (outcome.state) {
    case 'succeeded':
      return ExitCode.OK;
    case 'paused':
    case 'interrupted':
      return ExitCode.PAUSED;
    case 'cancelled':
      return interrupted ? ExitCode.PAUSED : ExitCode.FAILED;
    default:
      return ExitCode.FAILED;
  }
}

/**
 * Runs (or resumes) a job to its end with a progress view, notifications and
 * Ctrl-C handling: the first SIGINT pauses after in-flight steps finish; the
 * second aborts in-flight steps. Returns the exit code.
 */
export async function executeJob(options: ExecuteJobOptions): Promise<number> {
  const { io, store, registry, start } = options;
  const clock = options.clock ?? new SystemClock();
  // The engine's default lease holder is `host:pid:random`, which `jobs`/`status` read to tell a dead runner.
  const polls = new PollRecorder();
  const engine = new Engine({ store: polls.wrap(store), registry, clock });
  polls.attach(engine);
  if (options.notify.length > 0) {
    const notifier = new WebhookNotifier({
      targets: options.notify.map((n) => ({ kind: n.kind, url: n.url })),
      operatorMention: options.operatorMention,
      notifyOnSuccess: options.notifyOnSuccess,
      clock,
    });
    notifier.attach(engine);
  }
  const stored = start.kind === 'resume' ? await store.getJob(start.jobId) : undefined;
  const plan = start.kind === 'start' ? start.plan : stored!.plan;
  const records = stored ? await store.getSteps(stored.id) : undefined;
  const view = chooseView(io, { json: options.json, plan, clock, colors: options.colors, ...(records ? { records } : {}), ...(stored ? { startedAt: stored.createdAt } : {}) });
  view.attach(engine);
  let handle: JobHandle | undefined;
  let interrupts = 0;
  const dbHint = ` --db ${options.dbPath}`;
  let lastInterrupt = -Infinity;
  const unlisten = io.onInterrupt(() => {
    // `npx` forwards the terminal's SIGINT to the command, which also gets it from
    // the terminal: two signals a millisecond apart are one Ctrl-C.
    const t = Date.now();
    if (t - lastInterrupt < INTERRUPT_DEDUP_MS) return;
    lastInterrupt = t;
    interrupts += 1;
    if (interrupts === 1) {
      view.note('interrupt: pausing after the steps in flight finish (Ctrl-C again to abort them)');
      handle?.pause();
    } else {
      view.note('second interrupt: aborting the steps in flight (they stay recorded as running and are attempted again on resume)');
      handle?.interrupt('aborted by the operator (second Ctrl-C)');
    }
  });
  try {
    handle =
      start.kind === 'start'
        ? await engine.start(start.plan, { operator: start.operator, workflowText: start.workflowText, allowConcurrent: start.allowConcurrent })
        : await resumeWithLeaseWait(engine, start, (m) => view.note(m), () => interrupts > 0);
    if (!handle) {
      view.note(`interrupted while waiting for the lease: job ${start.kind === 'resume' ? start.jobId : ''} was not resumed`);
      return ExitCode.PAUSED;
    }
    const outcome = await handle.done;
    const code = exitCodeFor(outcome, interrupts > 0);
    if (!options.json) {
      switch (outcome.state) {
        // The job event has already printed the outcome line; here only what to do next.
        case 'succeeded':
          view.note(`${outcome.stepsSucceeded} steps run in this process; the report: scylla-cp report ${outcome.jobId} --html ${outcome.jobId}.html${dbHint}`);
          break;
        case 'paused':
        case 'interrupted':
          view.note(`  resume it: scylla-cp resume ${outcome.jobId}${dbHint}\n  inspect it: scylla-cp status ${outcome.jobId}${dbHint}`);
          break;
        case 'cancelled':
          view.note(`  inspect it: scylla-cp status ${outcome.jobId}${dbHint}`);
          break;
        default:
          view.note(
            (outcome.failedNodes.length > 0 ? `  failed nodes: ${outcome.failedNodes.join(', ')}\n` : '') +
              (ACTIVE_JOB_STATES.includes('failed') ? `  the job keeps the cluster lock (a node may be down mid-operation) until it is retried or cancelled\n` : '') +
              `  inspect it: scylla-cp status ${outcome.jobId}${dbHint}\n  after fixing the cause, retry the failed step: scylla-cp retry ${outcome.jobId}${dbHint}`,
          );
      }
    }
    return code;
  } finally {
    unlisten();
    view.detach();
    polls.detach();
    await engine.close?.();
  }
}
