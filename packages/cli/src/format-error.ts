import {
  ClusterLockedError,
  formatProblem,
  InvalidInputError,
  isErrorKind,
  JobNotFoundError,
  LeaseHeldError,
  PluginError,
  StoreUnavailableError,
  WorkflowError,
} from '@scylla-cp/core';
import { ExitCode } from './exit-codes.js';

/** A message for a person and the exit code that goes with it. */
export interface FormattedError {
  message: string;
  exitCode: ExitCode;
}

/** What the command was working with, for messages that should name it. */
export interface ErrorContext {
  /** The job store: its path and where it was chosen (`--db`, `$SCYLLA_CP_DB`, ...). */
  jobStore?: { path: string; source: string };
}

/**
 * Turns any error into a message a person can act on, and its exit code.
 * Never a bare stack trace: the stack is only shown with `--debug`.
 * `context` (optional) lets a message name what it is about, e.g. the job
 * store an unknown job id was looked up in.
 */
export function formatError(error: unknown, debug = false, context: ErrorContext = {}): FormattedError {
  const stack = debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  if (error instanceof JobNotFoundError && context.jobStore !== undefined) {
    const { path, source } = context.jobStore;
    return {
      message:
        `error: no job with id ${error.jobId} in the job store ${path} (${source})\n` +
        `  list its jobs: scylla-cp jobs\n  a job in another store: give its path with --db <path> (or $SCYLLA_CP_DB)${stack}`,
      exitCode: ExitCode.INVALID_INPUT,
    };
  }
  if (error instanceof WorkflowError) {
    const lines = error.problems.map((p) => `  ${formatProblem(p)}`);
    const head = error.problems.length === 1 ? '1 problem' : `${error.problems.length} problems`;
    return { message: `error: invalid input (${head}):\n${lines.join('\n')}${stack}`, exitCode: ExitCode.INVALID_INPUT };
  }
  if (error instanceof InvalidInputError || error instanceof PluginError || error instanceof JobNotFoundError) {
    return { message: `error: ${error.message}${stack}`, exitCode: ExitCode.INVALID_INPUT };
  }
  if (error instanceof ClusterLockedError) {
    return {
      message:
        `error: ${error.message}\n  see it:    scylla-cp status ${error.heldByJobId}\n` +
        (error.heldByState === 'failed' ? `  retry it:  scylla-cp retry ${error.heldByJobId}\n` : '') +
        `  cancel it: scylla-cp cancel ${error.heldByJobId}${stack}`,
      exitCode: ExitCode.FAILED,
    };
  }
  if (error instanceof LeaseHeldError || error instanceof StoreUnavailableError) {
    return { message: `error: ${error.message}${stack}`, exitCode: ExitCode.FAILED };
  }
  if (isErrorKind(error, 'ScyllaCpError') && error instanceof Error) {
    return { message: `error: ${error.message}${stack}`, exitCode: ExitCode.FAILED };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')) {
    const p = (error as { path?: string }).path;
    return { message: `error: cannot read ${p ?? 'a file'} (${code})${stack}`, exitCode: ExitCode.INVALID_INPUT };
  }
  const msg = error instanceof Error ? error.message : String(error);
  return {
    message: `error: ${msg}${stack || '\n  (run again with --debug for details)'}`,
    exitCode: ExitCode.FAILED,
  };
}
