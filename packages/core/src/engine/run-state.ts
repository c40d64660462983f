import type { ErrorDetail } from '../errors/error-detail.js';
import { FailureBook } from './failure-book.js';

/** What one run has come to, shared by the run and its ending (see `run-ending.ts`). @internal */
export class RunState {
  /** No new node, zone or attempt starts (abort_on_first_failure, an abandoned attempt). */
  halted = false;
  /** The first attempt that did not stop within its grace (the job then fails with it). */
  abandonedError: unknown;
  /** The store could not record progress: the run stops at once, the job is left as it is. */
  storeError: unknown;
  /** Steps were left to a later run (pause, interrupt, canary, window). */
  incomplete = false;
  /** Steps that succeeded in this run. */
  succeeded = 0;
  /** Why the job pauses by itself (approval, maintenance window); stored as the paused job's `error`. */
  pauseReason: ErrorDetail | undefined;
  /** A `finally_tasks` step was stopped (interrupt) before the clean-up ended: the job ends paused, resumable. */
  finallyUnfinished = false;
  /** Failed steps and nodes, collected into the job's error. */
  readonly failures = new FailureBook();
}
