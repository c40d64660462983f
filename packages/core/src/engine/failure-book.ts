import type { ErrorDetail } from '../errors/error-detail.js';
import type { FailedStep } from './engine-events.js';

/** The steps and nodes that failed in one run, and the job error they add up to. @internal */
export class FailureBook {
  readonly #steps: FailedStep[] = [];
  readonly #nodes: string[] = [];
  readonly #nodeSet = new Set<string>();

  /** Whether anything failed. */
  get any(): boolean {
    return this.#steps.length > 0;
  }

  /** Every failed step, in the order they failed (a copy). */
  steps(): FailedStep[] {
    return [...this.#steps];
  }

  /** Nodes with a failed step, in the order they failed (a copy). */
  nodes(): string[] {
    return [...this.#nodes];
  }

  step(stepId: string, nodeId: string | undefined, task: string, error: ErrorDetail): void {
    const f: FailedStep = { stepId, task, error };
    if (nodeId !== undefined) f.nodeId = nodeId;
    this.#steps.push(f);
  }

  node(nodeId: string): void {
    if (this.#nodeSet.has(nodeId)) return;
    this.#nodeSet.add(nodeId);
    this.#nodes.push(nodeId);
  }

  /** The job's error: `JobFailedError` naming the failed nodes, with the first failure as cause. */
  detail(): ErrorDetail {
    const first = this.#steps[0];
    const nodes = this.#nodes;
    const details = {
      failedNodes: [...nodes],
      failedSteps: this.#steps.map((s) => ({ stepId: s.stepId, nodeId: s.nodeId, task: s.task, message: s.error.message })),
    };
    if (!first) return { name: 'JobFailedError', code: 'JOB_FAILED', message: 'the job failed', classification: 'unrecoverable', details };
    const where = first.nodeId ? `node ${first.nodeId}, step ${first.stepId}` : `cluster step ${first.stepId}`;
    const head =
      nodes.length > 0
        ? `${nodes.length} node(s) failed: ${nodes.slice(0, 10).join(', ')}${nodes.length > 10 ? ', ...' : ''}`
        : `cluster step ${first.stepId} failed`;
    return {
      name: 'JobFailedError',
      code: 'JOB_FAILED',
      message: `${head}; first failure at ${where} (!${first.task}): ${first.error.message}`,
      classification: 'unrecoverable',
      details,
      cause: first.error,
    };
  }
}
