import type { ConditionPollEvent, JobEvent, LogEvent, NotificationEvent, RetryEvent, StepEvent } from '@scylla-cp/core';
import { listen, type EventSource, type ProgressView } from './progress-view.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The engine also logs each step failure and retry as a `log` line (for SDK
 * loggers); the views print the `step`/`retry` event instead, so that every
 * failure and retry appears once.
 */
const MIRRORED_LOG = /^step \S+ \(!\S+\) (attempt \d+ failed, retrying in|failed: )/;

/** Options of {@link LineProgressView}. */
export interface LineViewOptions {
  /** Print condition polls (when their result or detail changes). @default true */
  polls?: boolean;
  /** Which step events to print: all, or only failures (the live view shows the rest). @default 'all' */
  steps?: 'all' | 'failures';
}

/**
 * Plain timestamped lines, for logs and non-TTY output. Condition polls are
 * printed when their result or detail changes (not on every identical poll),
 * and always when the wait passes.
 */
export class LineProgressView implements ProgressView {
  #detach: (() => void) | undefined;
  readonly #lastPoll = new Map<string, string>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly now: () => number,
    private readonly options: LineViewOptions = {},
  ) {}

  attach(source: EventSource): void {
    this.#detach = listen(source, {
      job: (e) => this.#job(e),
      step: (e) => this.#step(e),
      retry: (e) => this.#retry(e),
      'condition-poll': (e) => this.#poll(e),
      log: (e) => this.#log(e),
      notification: (e) => this.#notification(e),
    });
  }

  detach(): void {
    this.#detach?.();
  }

  note(message: string): void {
    this.#line(this.now(), message);
  }

  #line(at: number, text: string): void {
    this.out.write(`${iso(at)} ${text}\n`);
  }

  #job(e: JobEvent): void {
    const extra = e.error ? `: ${e.error.message}` : '';
    const failed = e.failedNodes && e.failedNodes.length > 0 ? ` (failed nodes: ${e.failedNodes.join(', ')})` : '';
    const what = e.reason === 'started' || e.reason === 'resumed' ? ` (${e.workflowName})` : '';
    this.#line(e.at, `job ${e.jobId} ${e.reason ?? e.state} [${e.state}] cluster=${e.cluster} operator=${e.operator}${what}${failed}${extra}`);
  }

  #step(e: StepEvent): void {
    if (this.options.steps === 'failures' && e.state !== 'failed') return;
    const where = e.nodeId ? ` on ${e.nodeId}` : '';
    const dur = e.durationMs !== undefined ? ` in ${(e.durationMs / 1000).toFixed(1)}s` : '';
    const err = e.error ? `: ${e.error.message}` : '';
    this.#line(e.at, `${e.task}${where} ${e.state} (attempt ${e.attempt})${dur}${err}`);
  }

  #retry(e: RetryEvent): void {
    const where = e.nodeId ? ` on ${e.nodeId}` : '';
    this.#line(e.at, `${e.task}${where} attempt ${e.attempt} failed (${e.error.message}); retrying in ${(e.delayMs / 1000).toFixed(1)}s`);
  }

  #poll(e: ConditionPollEvent): void {
    if (this.options.polls === false) return;
    const key = `${e.stepId}|${e.condition}`;
    const sig = `${e.ok}|${e.detail}`;
    if (!e.passed && this.#lastPoll.get(key) === sig) return;
    this.#lastPoll.set(key, sig);
    const where = e.nodeId ? ` on ${e.nodeId}` : '';
    const state = e.passed ? 'passed' : e.ok ? `holding ${e.heldSeconds}/${e.successWindowSeconds}s` : 'not yet';
    this.#line(e.at, `  ${e.condition}${where}: ${state}: ${e.detail}`);
  }

  #log(e: LogEvent): void {
    if (e.level === 'debug') return;
    if (e.stepId !== undefined && MIRRORED_LOG.test(e.message)) return;
    const where = e.nodeId ? ` [${e.nodeId}]` : '';
    this.#line(e.at, `${e.level}${where}: ${e.message}`);
  }

  #notification(e: NotificationEvent): void {
    const err = e.error ? `: ${e.error}` : '';
    this.#line(e.at, `notification ${e.channel} ${e.target} ${e.status} (attempt ${e.attempt})${err}`);
  }
}
