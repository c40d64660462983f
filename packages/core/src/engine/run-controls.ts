import { setMaxListeners } from 'node:events';
import { UnrecoverableError } from '../errors/task-errors.js';
import type { ControlRequest } from '../store/job-store.js';

/**
 * What the operators asked of one run, and the job's AbortSignal: `pause`
 * (no new step), `cancel` (graceful: no new step, then `cancelled`), `abort`
 * (cancel now: in-flight attempts are aborted), `interrupt` (stop now,
 * resumably), or a store failure (`fail`). Each request is idempotent; a
 * stronger one wins. @internal
 */
export class RunControls {
  readonly #abort = new AbortController();
  /** Aborted only by `interrupt` and `fail`: `finally_tasks` run after a cancel --now too. */
  readonly #finallyAbort = new AbortController();
  pauseRequested = false;
  cancelRequested = false;
  abortRequested = false;
  interruptRequested = false;
  cancelMessage = '';

  constructor(
    private readonly jobId: string,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
  ) {
    setMaxListeners(0, this.#abort.signal);
    setMaxListeners(0, this.#finallyAbort.signal);
  }

  /**
   * The signal of the job's `finally_tasks` steps: aborted by `interrupt` and
   * by a store failure, never by `abort` (clean-up runs after cancel --now).
   */
  get finallySignal(): AbortSignal {
    return this.#finallyAbort.signal;
  }

  /** Aborted by `abort`, `interrupt` and `fail`: every attempt of the job listens to it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether no new step may start because of a request. */
  get stopping(): boolean {
    return this.pauseRequested || this.cancelRequested;
  }

  pause(): void {
    if (this.pauseRequested || this.cancelRequested) return;
    this.pauseRequested = true;
    this.log('info', 'pause requested: no new steps will start; waiting for in-flight steps to finish');
  }

  cancel(reason: string): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.cancelMessage = reason;
    this.log('warn', `cancel requested: no new steps will start; in-flight steps finish, then the job ends cancelled (${reason})`);
  }

  interrupt(reason: string): void {
    if (this.interruptRequested || this.abortRequested) return;
    this.interruptRequested = true;
    this.pauseRequested = true;
    this.log('warn', `interrupt requested: aborting in-flight steps, which stay recorded as running for resume (${reason})`);
    const err = new Error(`job ${this.jobId} interrupted: ${reason}`);
    err.name = 'AbortError';
    this.#abort.abort(err);
    this.#finallyAbort.abort(err);
  }

  abort(reason: string): void {
    if (this.abortRequested) return;
    this.abortRequested = true;
    this.cancelRequested = true;
    this.cancelMessage = reason;
    this.log('warn', `abort requested: ${reason}`);
    this.#abort.abort(new UnrecoverableError(`job ${this.jobId} aborted: ${reason}`, { code: 'JOB_ABORTED' }));
  }

  /** The run cannot go on (store failure): in-flight attempts are aborted with `error`. */
  fail(error: unknown): void {
    this.#abort.abort(error);
    this.#finallyAbort.abort(error);
  }

  /** Acts on a request recorded in the store by another process. */
  onRequest(r: ControlRequest): void {
    if (r === 'pause') this.pause();
    else if (r === 'cancel') this.cancel('cancel requested through the job store');
    else if (r === 'cancel-now') this.abort('cancel --now requested through the job store');
  }
}
