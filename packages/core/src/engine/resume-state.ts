import type { JobPlan } from '../plan/job-plan.js';
import { nodeStepId } from '../plan/job-plan.js';
import { CANARY_APPROVAL_STEP_ID } from './human-gates.js';
import type { JobStore, ResumeRecords, StepRecord } from '../store/job-store.js';
import { isCompletedStepState, toResumeRecords } from '../store/job-store.js';

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
   * pending), if any. With `retryFailed`, failed records come back as
   * `pending` with `attempts: 0` (a fresh retry budget).
   */
  openRecord(stepId: string): StepRecord | undefined;
}

const DONE = 1;
/** {@link computeResumeState}'s resolver: a cluster step of the plan. */
const CLUSTER = -2;
/** {@link computeResumeState}'s resolver: an id that is not a step of the plan. */
const UNKNOWN = -1;

function isResumeRecords(steps: readonly StepRecord[] | ResumeRecords): steps is ResumeRecords {
  return !Array.isArray(steps);
}

/**
 * Parses the decimal digits of `s` from `from` to its end, as {@link nodeStepId}
 * prints a task index; -1 if there are none, a leading zero, or any other character.
 */
function parseIndex(s: string, from: number): number {
  if (from >= s.length) return -1;
  if (s.charCodeAt(from) === 48 && from + 1 < s.length) return -1;
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
 * Computes what remains to run of `plan` given its stored step records (all of
 * them, or as {@link ResumeRecords}): succeeded and skipped steps are done;
 * `running` ones were interrupted and run again; `failed` ones stay failed
 * unless `retryFailed`; records of ids not in the plan are ignored. A store
 * holds one record per step; should `steps` hold several for one id anyway, a
 * completed one wins, else the last open one counts. Pure, and
 * linear in the number of records plus the number of nodes; no step id is ever
 * built for a completed step (`npm run bench -- resume-state`, `-- resume-load`).
 */
export function computeResumeState(plan: JobPlan, steps: readonly StepRecord[] | ResumeRecords, options: ResumeStateOptions = {}): ResumeState {
  const workflows = new Map<string, WorkflowIndex>();
  const clusterSteps = new Set<string>();
  let totalSteps = 0;
  // `finally_tasks` steps and the canary approval (`--stop-after`) are recorded like cluster steps.
  for (const f of plan.finallySteps ?? []) {
    clusterSteps.add(f.id);
    totalSteps++;
  }
  if (plan.stopAfterNodes !== undefined) clusterSteps.add(CANARY_APPROVAL_STEP_ID);
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

  /** The workflow of the last id `resolve` placed in a done bitmap. */
  let resolved: WorkflowIndex | undefined;
  // The workflow, `<workflow>/<node>/t` prefix and node index of the last node step resolved.
  let lastNodeW: WorkflowIndex | undefined;
  let lastNodePrefix = '';
  let lastNode = 0;
  /**
   * Where step `id` lives: its index in `resolved`'s done bitmap, CLUSTER for a
   * cluster step of the plan, or UNKNOWN. `nodeId` (the record's, when known)
   * spares slicing the node out of the id.
   */
  const resolve = (id: string, nodeId: string | undefined): number => {
    const slash = id.indexOf('/');
    if (slash < 0) return clusterSteps.has(id) ? CLUSTER : UNKNOWN;
    let w: WorkflowIndex | undefined;
    if (lastPrefix !== undefined && slash === lastPrefix.length - 1 && id.startsWith(lastPrefix)) w = lastW;
    else {
      const wfId = id.slice(0, slash);
      w = workflows.get(wfId);
      lastPrefix = `${wfId}/`;
      lastW = w;
    }
    if (w === undefined) return UNKNOWN;
    // Records mostly come grouped by node (a store's key order), so the previous
    // id's `<workflow>/<node>/t` usually prefixes this one: no slice, no lookup.
    if (w === lastNodeW && id.startsWith(lastNodePrefix)) {
      const t = parseIndex(id, lastNodePrefix.length);
      if (t >= 0) {
        if (t >= w.tasks) return UNKNOWN;
        resolved = w;
        return lastNode * w.tasks + t;
      }
    }
    // The record's node id, when the id is `<workflow>/<nodeId>/t<n>`, spares a slice.
    let tPos = slash + 1 + (nodeId?.length ?? 0);
    let node = nodeId !== undefined && id.startsWith(nodeId, slash + 1) && id.startsWith('/t', tPos) ? w.nodeIndex.get(nodeId) : undefined;
    let t = node === undefined ? -1 : parseIndex(id, tPos + 2);
    if (t < 0) {
      tPos = id.lastIndexOf('/t');
      if (tPos <= slash) return UNKNOWN;
      node = w.nodeIndex.get(id.slice(slash + 1, tPos));
      t = parseIndex(id, tPos + 2);
    }
    if (node === undefined || t < 0 || t >= w.tasks) return UNKNOWN;
    lastNodeW = w;
    lastNodePrefix = id.slice(0, tPos + 2);
    lastNode = node;
    resolved = w;
    return node * w.tasks + t;
  };
  /** Marks step `id` completed; false when it is not in the plan. */
  const complete = (id: string, nodeId: string | undefined): boolean => {
    const k = resolve(id, nodeId);
    if (k === UNKNOWN) return false;
    if (k === CLUSTER) {
      if (!clusterDone.has(id)) {
        clusterDone.add(id);
        // The canary approval is a record, not a step of the plan's count.
        if (id !== CANARY_APPROVAL_STEP_ID) completedSteps++;
      }
    } else if (resolved!.done[k] !== DONE) {
      resolved!.done[k] = DONE;
      completedSteps++;
    }
    return true;
  };

  const records = isResumeRecords(steps) ? steps : undefined;
  if (records !== undefined) for (const id of records.completedStepIds) complete(id, undefined);
  for (const r of records?.openRecords ?? (steps as readonly StepRecord[])) {
    const s = r.state;
    if (isCompletedStepState(s)) {
      complete(r.stepId, r.nodeId);
      continue;
    }
    if (resolve(r.stepId, r.nodeId) === UNKNOWN) continue;
    open.set(r.stepId, r);
  }
  // A step recorded completed is done whatever else was recorded for it.
  for (const [id, r] of open) {
    if (isCompleted(id)) {
      open.delete(id);
      continue;
    }
    if (r.state === 'running') interruptedStepIds.push(id);
    if (r.state === 'failed') {
      if (options.retryFailed) {
        retriedStepIds.push(id);
        // `retry` gives the step a fresh retry budget (the run records it so).
        open.set(id, { ...r, state: 'pending', attempts: 0 });
        continue;
      }
      failedStepIds.push(id);
    }
  }

  function isCompleted(stepId: string): boolean {
    const k = resolve(stepId, undefined);
    if (k === UNKNOWN) return false;
    return k === CLUSTER ? clusterDone.has(stepId) : resolved!.done[k] === DONE;
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
    isCompleted,
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
  if (nextStepId === undefined) nextStepId = plan.finallySteps?.find((f) => !clusterDone.has(f.id))?.id;
  if (nextStepId !== undefined) state.nextStepId = nextStepId;
  return state;
}

/**
 * Reads what a resume needs of job `jobId` from `store` (its `getResumeRecords`
 * when it has one, else `getSteps`) and computes its {@link ResumeState}
 * against `plan`, the job's stored plan.
 */
export async function loadResumeState(store: JobStore, jobId: string, plan: JobPlan, options: ResumeStateOptions = {}): Promise<ResumeState> {
  const records = store.getResumeRecords ? await store.getResumeRecords(jobId) : toResumeRecords(await store.getSteps(jobId));
  return computeResumeState(plan, records, options);
}
