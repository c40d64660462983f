import type { JobPlan } from '../plan/job-plan.js';
import { nodeStepId } from '../plan/job-plan.js';
import type { StepRecord } from '../store/job-store.js';

/** Options of {@link computeResumeState}. */
export interface ResumeStateOptions {
  /** Treat failed steps as not yet run, so they are attempted again (CLI `retry`). @default false */
  retryFailed?: boolean;
}

/** What is left of a job, computed from its plan and stored step records. */
export interface ResumeState {
  /** Steps in the plan (cluster steps plus nodes x tasks of every node workflow). */
  totalSteps: number;
  /** Steps recorded succeeded or skipped: never run again. */
  completedSteps: number;
  /** `totalSteps - completedSteps`. */
  remainingSteps: number;
  /** Steps recorded `running` (interrupted mid-attempt): attempted again. In no particular order. */
  interruptedStepIds: string[];
  /** Failed steps that stay failed (empty with `retryFailed`). In no particular order. */
  failedStepIds: string[];
  /** Failed steps that will be attempted again (only with `retryFailed`). In no particular order. */
  retriedStepIds: string[];
  /** The first step in plan order that is not complete; absent when all are. */
  nextStepId?: string;
  /** Whether the step is recorded succeeded or skipped. */
  isCompleted(stepId: string): boolean;
  /** Whether every task of `nodeId` in node workflow `workflowStepId` is completed. */
  isNodeCompleted(workflowStepId: string, nodeId: string): boolean;
  /**
   * The stored record of a step that is not completed (running, failed,
   * pending), if any. With `retryFailed`, failed records come back as `pending`.
   */
  openRecord(stepId: string): StepRecord | undefined;
}

const DONE = 1;

/** Parses the decimal digits of `s` from `from` to its end; -1 if there are none or any other character. */
function parseIndex(s: string, from: number): number {
  if (from >= s.length) return -1;
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

interface WorkflowIndex {
  tasks: number;
  nodeIndex: Map<string, number>;
  /** DONE per (node, task): index `node * tasks + task`. */
  done: Uint8Array;
}

/**
 * Computes what remains to run of `plan` given its stored `steps`: succeeded
 * and skipped steps are done; `running` ones were interrupted and run again;
 * `failed` ones stay failed unless `retryFailed`; records of ids not in the
 * plan are ignored. Pure, and linear in the number of records plus the number
 * of nodes: no step id is built per completed step (100,000 records take
 * tens of ms; `npm run bench -- resume-state`).
 */
export function computeResumeState(plan: JobPlan, steps: readonly StepRecord[], options: ResumeStateOptions = {}): ResumeState {
  const workflows = new Map<string, WorkflowIndex>();
  const clusterSteps = new Set<string>();
  let totalSteps = 0;
  for (const step of plan.steps) {
    if (step.kind === 'cluster-task') {
      clusterSteps.add(step.id);
      totalSteps++;
      continue;
    }
    const nodeIndex = new Map<string, number>();
    for (const b of step.batches) for (const n of b.nodes) if (!nodeIndex.has(n)) nodeIndex.set(n, nodeIndex.size);
    const tasks = step.tasks.length;
    workflows.set(step.id, { tasks, nodeIndex, done: new Uint8Array(nodeIndex.size * tasks) });
    totalSteps += nodeIndex.size * tasks;
  }

  const clusterDone = new Set<string>();
  const open = new Map<string, StepRecord>();
  const interruptedStepIds: string[] = [];
  const failedStepIds: string[] = [];
  const retriedStepIds: string[] = [];
  let completedSteps = 0;
  let lastPrefix: string | undefined;
  let lastW: WorkflowIndex | undefined;

  for (const r of steps) {
    const id = r.stepId;
    const slash = id.indexOf('/');
    let known = false;
    let completed = false;
    const s = r.state;
    const isDone = s === 'succeeded' || s === 'skipped';
    if (slash < 0) {
      if (clusterSteps.has(id)) {
        known = true;
        if (isDone && !clusterDone.has(id)) {
          clusterDone.add(id);
          completed = true;
        }
      }
    } else {
      let w: WorkflowIndex | undefined;
      if (lastPrefix !== undefined && slash === lastPrefix.length - 1 && id.startsWith(lastPrefix)) w = lastW;
      else {
        const wfId = id.slice(0, slash);
        w = workflows.get(wfId);
        lastPrefix = `${wfId}/`;
        lastW = w;
      }
      // Use the record's nodeId when the id matches it (no substring allocated), else parse the id.
      const nid = r.nodeId;
      let tPos: number;
      let nodeKey: string;
      if (nid !== undefined && id.startsWith(nid, slash + 1) && id.charCodeAt(slash + 1 + nid.length) === 47 && id.charCodeAt(slash + 2 + nid.length) === 116) {
        tPos = slash + 1 + nid.length;
        nodeKey = nid;
      } else {
        tPos = id.lastIndexOf('/t');
        nodeKey = tPos > slash ? id.slice(slash + 1, tPos) : '';
      }
      if (w !== undefined && tPos > slash) {
        const node = w.nodeIndex.get(nodeKey);
        const t = parseIndex(id, tPos + 2);
        if (node !== undefined && t >= 0 && t < w.tasks) {
          known = true;
          const k = node * w.tasks + t;
          if (isDone && w.done[k] !== DONE) {
            w.done[k] = DONE;
            completed = true;
          }
        }
      }
    }
    if (!known) continue;
    if (completed) {
      completedSteps++;
      continue;
    }
    if (isDone) continue;
    if (s === 'running') interruptedStepIds.push(id);
    if (s === 'failed') {
      if (options.retryFailed) {
        retriedStepIds.push(id);
        open.set(id, { ...r, state: 'pending' });
        continue;
      }
      failedStepIds.push(id);
    }
    open.set(id, r);
  }

  let nextStepId: string | undefined;
  search: for (const step of plan.steps) {
    if (step.kind === 'cluster-task') {
      if (!clusterDone.has(step.id)) {
        nextStepId = step.id;
        break;
      }
      continue;
    }
    const w = workflows.get(step.id)!;
    for (const [nodeId, node] of w.nodeIndex) {
      for (let t = 0; t < w.tasks; t++) {
        if (w.done[node * w.tasks + t] !== DONE) {
          nextStepId = nodeStepId(step.id, nodeId, t);
          break search;
        }
      }
    }
  }

  const state: ResumeState = {
    totalSteps,
    completedSteps,
    remainingSteps: totalSteps - completedSteps,
    interruptedStepIds,
    failedStepIds,
    retriedStepIds,
    isCompleted(stepId: string): boolean {
      const slash = stepId.indexOf('/');
      if (slash < 0) return clusterDone.has(stepId);
      const w = workflows.get(stepId.slice(0, slash));
      const tPos = stepId.lastIndexOf('/t');
      if (w === undefined || tPos <= slash) return false;
      const node = w.nodeIndex.get(stepId.slice(slash + 1, tPos));
      const t = parseIndex(stepId, tPos + 2);
      return node !== undefined && t >= 0 && t < w.tasks && w.done[node * w.tasks + t] === DONE;
    },
    isNodeCompleted(workflowStepId: string, nodeId: string): boolean {
      const w = workflows.get(workflowStepId);
      const node = w?.nodeIndex.get(nodeId);
      if (w === undefined || node === undefined) return false;
      for (let t = 0; t < w.tasks; t++) if (w.done[node * w.tasks + t] !== DONE) return false;
      return true;
    },
    openRecord(stepId: string): StepRecord | undefined {
      return open.get(stepId);
    },
  };
  if (nextStepId !== undefined) state.nextStepId = nextStepId;
  return state;
}
