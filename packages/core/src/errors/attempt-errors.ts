import { UnrecoverableError } from './task-errors.js';
import type { ScyllaCpErrorOptions } from './scylla-cp-error.js';

/** Where an attempt that would not stop was running. */
export interface AttemptDidNotStopInfo {
  /** The plan step id. */
  stepId: string;
  /** The node it acts on; absent for a cluster step. */
  nodeId?: string;
  /** The task's YAML tag. */
  task: string;
  /** The attempt number (1-based, counted across runs). */
  attempt: number;
  /** The grace the engine waited after aborting it, seconds. */
  graceSeconds: number;
  /** Why it was aborted (timeout, cancel, interrupt), as a message. */
  abortedBecause: string;
}

/**
 * An attempt was aborted (its step timed out, or the job was cancelled or
 * interrupted) and its `execute` or condition check had still not settled
 * when the abandon grace (`abandon_grace_seconds`, default 60) ran out. The
 * task may still be acting on the node, so the engine halts the job (failed),
 * pages, and keeps the node out of any further work in this process.
 */
export class AttemptDidNotStopError extends UnrecoverableError {
  static override readonly kind: string = 'AttemptDidNotStopError';
  readonly stepId: string;
  readonly nodeId: string | undefined;
  readonly attempt: number;

  constructor(info: AttemptDidNotStopInfo, options: ScyllaCpErrorOptions = {}) {
    const where = info.nodeId !== undefined ? `node ${info.nodeId}, step ${info.stepId}` : `cluster step ${info.stepId}`;
    super(
      `${where} (!${info.task}) attempt ${info.attempt} did not stop within ${info.graceSeconds}s after it was aborted (${info.abortedBecause}); ` +
        `it may still be acting on the ${info.nodeId !== undefined ? 'node' : 'cluster'}: look at it before anything else is done there. ` +
        `This process runs nothing more on ${info.nodeId !== undefined ? `node ${info.nodeId}` : 'this cluster step'}; raise abandon_grace_seconds if the task needs longer to stop.`,
      { ...options, code: 'ATTEMPT_DID_NOT_STOP', details: { ...info, ...options.details } },
    );
    this.stepId = info.stepId;
    this.nodeId = info.nodeId;
    this.attempt = info.attempt;
  }
}

/**
 * A node is left out of this process's work: an attempt on it did not stop
 * (see {@link AttemptDidNotStopError}) and may still be running.
 */
export class NodeExcludedError extends UnrecoverableError {
  static override readonly kind: string = 'NodeExcludedError';
  constructor(
    readonly nodeId: string,
    readonly stuckStepId: string,
    options: ScyllaCpErrorOptions = {},
  ) {
    super(
      `node ${nodeId} is left out of this process's work: an attempt of step ${stuckStepId} on it did not stop and may still run; restart the process once the node was checked`,
      { ...options, code: 'NODE_EXCLUDED', details: { nodeId, stuckStepId, ...options.details } },
    );
  }
}
