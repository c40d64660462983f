import os from 'node:os';
import { Engine, type Clock, type JobHandle, type JobOutcome, type JobPlan, type JobStore, type PluginRegistry, SystemClock, WebhookNotifier } from '@scylla-cp/core';
import type { CliIo } from '../cli-io.js';
import { ExitCode } from '../exit-codes.js';
import type { NotifySpec } from '../notify-spec.js';
import { JsonProgressView } from '../progress/json-view.js';
import { LineProgressView } from '../progress/line-view.js';
import type { ProgressView } from '../progress/progress-view.js';
import { TtyProgressView } from '../progress/tty-view.js';

/** How the job is begun: a new plan, or an existing job to resume (optionally retrying failed steps). */
export type JobStart =
  | { kind: 'start'; plan: JobPlan; operator: string; workflowText: string; allowConcurrent: boolean }
  | { kind: 'resume'; jobId: string; retryFailed: boolean };

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
}

/** Picks the progress view: `--json`, a live view on a TTY, plain lines otherwise. */
function chooseView(io: CliIo, json: boolean, plan: JobPlan, clock: Clock): ProgressView {
  if (json) return new JsonProgressView(io.stdout);
  if (io.stdout.isTTY && io.env.TERM !== 'dumb' && !io.env.CI) return new TtyProgressView(io.stdout, plan, () => clock.now());
  return new LineProgressView(io.stdout, () => clock.now());
}

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
  const engine = new Engine({ store, registry, clock, holder: `${os.hostname()}:${process.pid}` });
  if (options.notify.length > 0) {
    const notifier = new WebhookNotifier({
      targets: options.notify.map((n) => ({ kind: n.kind, url: n.url })),
      operatorMention: options.operatorMention,
      notifyOnSuccess: options.notifyOnSuccess,
      clock,
    });
    notifier.attach(engine);
  }
  const plan = start.kind === 'start' ? start.plan : (await store.getJob(start.jobId)).plan;
  const view = chooseView(io, options.json, plan, clock);
  view.attach(engine);
  let handle: JobHandle;
  let interrupts = 0;
  const dbHint = ` --db ${options.dbPath}`;
  const unlisten = io.onInterrupt(() => {
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
        : await engine.resume(start.jobId, { retryFailed: start.retryFailed });
    if (!options.json) view.note(`job ${handle.jobId} (${plan.workflowName} on ${plan.cluster})`);
    const outcome = await handle.done;
    const code = exitCodeFor(outcome, interrupts > 0);
    if (!options.json) {
      switch (outcome.state) {
        case 'succeeded':
          view.note(`job ${outcome.jobId} succeeded (${outcome.stepsSucceeded} steps run)`);
          break;
        case 'paused':
        case 'interrupted':
        case 'cancelled':
          view.note(
            `job ${outcome.jobId} ${outcome.state}${outcome.error ? `: ${outcome.error.message}` : ''}\n` +
              `  resume it: scylla-cp resume ${outcome.jobId}${dbHint}\n  inspect it: scylla-cp status ${outcome.jobId}${dbHint}`,
          );
          break;
        default:
          view.note(
            `job ${outcome.jobId} failed${outcome.error ? `: ${outcome.error.message}` : ''}` +
              (outcome.failedNodes.length > 0 ? `\n  failed nodes: ${outcome.failedNodes.join(', ')}` : '') +
              `\n  inspect it: scylla-cp status ${outcome.jobId}${dbHint}\n  after fixing the cause, retry the failed step: scylla-cp retry ${outcome.jobId}${dbHint}`,
          );
      }
    }
    return code;
  } finally {
    unlisten();
    view.detach();
    await engine.close?.();
  }
}
