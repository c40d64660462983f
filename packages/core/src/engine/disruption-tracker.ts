import type { ExecuteClusterTask, ExecuteNodeTask } from '../api/task.js';
import { nodeStepId, type JobPlan, type NodeWorkflowStep } from '../plan/job-plan.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { ResumeState } from './resume-state.js';
import type { AttemptGate, StepToRun } from './step-runner.js';

/** A read-only, live view of a set. */
class SetView implements ReadonlySet<string> {
  constructor(private readonly set: Set<string>) {}
  get size(): number {
    return this.set.size;
  }
  has(value: string): boolean {
    return this.set.has(value);
  }
  forEach(fn: (value: string, value2: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const v of this.set) fn.call(thisArg, v, v, this);
  }
  entries(): SetIterator<[string, string]> {
    return this.set.entries();
  }
  keys(): SetIterator<string> {
    return this.set.keys();
  }
  values(): SetIterator<string> {
    return this.set.values();
  }
  [Symbol.iterator](): SetIterator<string> {
    return this.set.values();
  }
}

/**
 * Which nodes this job has taken, or is taking, down (the disrupted set), and
 * the serialization of the decision to take one more down.
 *
 * - A node enters the set when the preconditions of its first disruptive step
 *   (a task whose definition says `disruptive: true`) pass, and leaves it when
 *   a `restores: true` step of it succeeds.
 * - Decisions are serialized: the preconditions of a disruptive step of a node
 *   not yet in the set run one node at a time across the job, and the node
 *   joins the set before the next decision starts, so two nodes of one batch
 *   never both pass `quorum-safe` on the same stale view.
 * - A node already in the set is not "taken down" again: its later disruptive
 *   steps skip the serialization (and `quorum-safe` passes for it).
 * - On resume the set is rebuilt from the step records: a node is in it when a
 *   disruptive step of it was recorded (any state) and no later restoring step
 *   succeeded. Such nodes are run first in their batch (brought back before
 *   anything else is taken down). @internal
 */
export class DisruptionTracker implements AttemptGate {
  readonly #set = new Set<string>();
  /** The live, read-only view given to conditions as `ctx.job.disruptedNodes`. */
  readonly view: ReadonlySet<string> = new SetView(this.#set);
  readonly #registry: PluginRegistry;
  #lock: Promise<void> = Promise.resolve();

  constructor(plan: JobPlan, registry: PluginRegistry, resume?: ResumeState) {
    this.#registry = registry;
    if (resume) {
      for (const step of plan.steps) {
        if (step.kind !== 'node-workflow') continue;
        for (const b of step.batches) for (const nodeId of b.nodes) if (this.#wasDisrupted(step, nodeId, resume)) this.#set.add(nodeId);
      }
    }
  }

  #disruptive(tag: string): boolean {
    return this.#registry.nodeTask(tag)?.disruptive === true;
  }

  #restores(tag: string): boolean {
    return this.#registry.nodeTask(tag)?.restores === true;
  }

  #wasDisrupted(step: NodeWorkflowStep, nodeId: string, resume: ResumeState): boolean {
    let down = this.#set.has(nodeId);
    for (let t = 0; t < step.tasks.length; t++) {
      const tag = step.tasks[t]!.tag;
      const id = nodeStepId(step.id, nodeId, t);
      const done = resume.isCompleted(id);
      const rec = done ? undefined : resume.openRecord(id);
      if (!done && rec === undefined) break;
      if (this.#disruptive(tag)) down = true;
      if (done && this.#restores(tag)) down = false;
    }
    return down;
  }

  /** Whether the node counts as taken down by this job now. */
  has(nodeId: string): boolean {
    return this.#set.has(nodeId);
  }

  /** `nodes` with the ones in the disrupted set first (each group in its order). */
  orderForBatch(_step: NodeWorkflowStep, nodes: readonly string[]): readonly string[] {
    if (this.#set.size === 0) return nodes;
    const first = nodes.filter((n) => this.#set.has(n));
    if (first.length === 0) return nodes;
    return [...first, ...nodes.filter((n) => !this.#set.has(n))];
  }

  async decide(step: StepToRun, _instance: ExecuteNodeTask | ExecuteClusterTask, signal: AbortSignal, preconditions: () => Promise<void>): Promise<void> {
    const nodeId = step.nodeId;
    if (nodeId === undefined || !this.#disruptive(step.spec.tag) || this.#set.has(nodeId)) return preconditions();
    // One decision to take a node down at a time.
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((r) => (release = r));
    try {
      await waitFor(previous, signal);
      await preconditions();
      this.#set.add(nodeId);
    } finally {
      release();
    }
  }

  succeeded(step: StepToRun): void {
    if (step.nodeId !== undefined && this.#restores(step.spec.tag)) this.#set.delete(step.nodeId);
  }
}

/** Resolves with `p`, or rejects with the signal's reason when it aborts first. */
function waitFor(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
