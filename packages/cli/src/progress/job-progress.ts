import type { ConditionPollEvent, ErrorDetail, JobPlan, RetryEvent, StepEvent, StepRecord, StepState, StoredEvent } from '@scylla-cp/core';

/** One step of the plan as the progress model knows it. */
export interface StepProgress {
  stepId: string;
  /** Absent for cluster steps. */
  nodeId?: string;
  /** 0-based index in its node's task list (0 for cluster steps). */
  index: number;
  tag: string;
  state: StepState;
  attempts: number;
  startedAt?: number;
  finishedAt?: number;
  lastError?: ErrorDetail;
}

/** The latest poll of a condition on a node. */
export interface ConditionProgress {
  condition: string;
  ok: boolean;
  heldSeconds: number;
  successWindowSeconds: number;
  detail: string;
  passed: boolean;
  /** Clock time of the poll, ms. */
  at: number;
}

/** A node of a batch, derived from its steps. */
export interface NodeProgress {
  nodeId: string;
  state: 'waiting' | 'running' | 'done' | 'failed';
  steps: StepProgress[];
  /** Completed steps. */
  done: number;
  /** The step to show: the running one, else the failed one, else the next. */
  current?: StepProgress;
  startedAt?: number;
  finishedAt?: number;
  condition?: ConditionProgress;
  lastError?: { error: ErrorDetail; at: number; stepId: string; attempt: number };
}

/** A batch (zone, rack, dc, node) of a node workflow. */
export interface BatchProgress {
  /** `zone rack1`, ... */
  title: string;
  workflowStepId: string;
  concurrencyUnit: string;
  concurrencyLimit: number;
  nodes: NodeProgress[];
  nodesDone: number;
  stepsDone: number;
  stepsTotal: number;
}

/** An estimate of the time left, with what it is based on. */
export interface Eta {
  /** ms left, or undefined when there is no basis yet. */
  remainingMs?: number;
  /** How it was computed, for a person. */
  basis: string;
}

/** Overall figures. */
export interface ProgressSummary {
  nodesDone: number;
  nodesTotal: number;
  stepsDone: number;
  stepsTotal: number;
  failedNodes: number;
  runningNodes: number;
}

const completed = (s: StepState) => s === 'succeeded' || s === 'skipped';

/** `1m05s`, `42s`, `2h03m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The progress of one job: every step of its plan with state and attempts,
 * per node and per batch, the latest condition poll and error per node. It
 * starts from the stored step records (so counts are right after a resume)
 * and follows engine events, or is rebuilt from the store (`status --watch`).
 * Pure: time is passed in.
 */
export class JobProgress {
  readonly plan: JobPlan;
  readonly #steps = new Map<string, StepProgress>();
  readonly #conditions = new Map<string, ConditionProgress>();
  readonly #errors = new Map<string, NonNullable<NodeProgress['lastError']>>();
  /** The most recent error of any step. */
  lastError: (NonNullable<NodeProgress['lastError']> & { nodeId?: string; tag: string }) | undefined;

  constructor(plan: JobPlan) {
    this.plan = plan;
    for (const step of plan.steps) {
      if (step.kind === 'cluster-task') {
        this.#steps.set(step.id, { stepId: step.id, index: 0, tag: step.task.tag, state: 'pending', attempts: 0 });
        continue;
      }
      for (const b of step.batches) {
        for (const n of b.nodes) {
          step.tasks.forEach((t, i) => {
            const id = `${step.id}/${n}/t${i}`;
            this.#steps.set(id, { stepId: id, nodeId: n, index: i, tag: t.tag, state: 'pending', attempts: 0 });
          });
        }
      }
    }
  }

  /** Applies stored step records (all of a job's, or the changed ones). */
  applyRecords(records: readonly StepRecord[]): void {
    for (const r of records) {
      const s = this.#steps.get(r.stepId);
      if (!s) continue;
      s.state = r.state;
      s.attempts = r.attempts;
      if (r.startedAt !== undefined) s.startedAt = r.startedAt;
      if (r.finishedAt !== undefined) s.finishedAt = r.finishedAt;
      if (r.lastError) {
        s.lastError = r.lastError;
        this.#noteError(s, r.lastError, r.finishedAt ?? r.startedAt ?? 0, r.attempts);
      }
    }
  }

  /** Applies stored events (`step.retry` and `step.failed` carry errors with their time). */
  applyEvents(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (!e.stepId) continue;
      const s = this.#steps.get(e.stepId);
      if (!s) continue;
      const err = e.data.error as ErrorDetail | undefined;
      if ((e.type === 'step.retry' || e.type === 'step.failed') && err) this.#noteError(s, err, e.at, Number(e.data.attempt ?? s.attempts));
    }
  }

  /** Follows a `step` engine event. */
  onStep(e: StepEvent): void {
    const s = this.#steps.get(e.stepId);
    if (!s) return;
    s.attempts = Math.max(s.attempts, e.attempt);
    if (e.state === 'running') {
      s.state = 'running';
      s.startedAt ??= e.at;
      s.finishedAt = undefined;
    } else {
      s.state = e.state;
      s.finishedAt = e.at;
      if (e.state === 'succeeded' && e.durationMs !== undefined && s.startedAt === undefined) s.startedAt = e.at - e.durationMs;
      if (e.error) this.#noteError(s, e.error, e.at, e.attempt);
    }
    if (e.nodeId && e.state !== 'running') this.#conditions.delete(e.nodeId);
  }

  /** Follows a `retry` engine event. */
  onRetry(e: RetryEvent): void {
    const s = this.#steps.get(e.stepId);
    if (s) this.#noteError(s, e.error, e.at, e.attempt);
  }

  /** Follows a `condition-poll` engine event (node conditions only). */
  onPoll(e: ConditionPollEvent): void {
    if (!e.nodeId) return;
    this.#conditions.set(e.nodeId, {
      condition: e.condition,
      ok: e.ok,
      heldSeconds: e.heldSeconds,
      successWindowSeconds: e.successWindowSeconds,
      detail: e.detail,
      passed: e.passed,
      at: e.at,
    });
  }

  #noteError(s: StepProgress, error: ErrorDetail, at: number, attempt: number): void {
    const entry = { error, at, stepId: s.stepId, attempt };
    const key = s.nodeId ?? s.stepId;
    const prev = this.#errors.get(key);
    if (!prev || prev.at <= at) this.#errors.set(key, entry);
    if (!this.lastError || this.lastError.at <= at) this.lastError = { ...entry, ...(s.nodeId ? { nodeId: s.nodeId } : {}), tag: s.tag };
  }

  /** Every step (plan order). */
  steps(): StepProgress[] {
    return [...this.#steps.values()];
  }

  /** One node's progress in a node workflow step. */
  node(workflowStepId: string, nodeId: string, taskCount: number): NodeProgress {
    const steps = Array.from({ length: taskCount }, (_, i) => this.#steps.get(`${workflowStepId}/${nodeId}/t${i}`)!);
    const done = steps.filter((s) => completed(s.state)).length;
    const running = steps.find((s) => s.state === 'running');
    const failed = steps.find((s) => s.state === 'failed');
    const state: NodeProgress['state'] = failed ? 'failed' : done === taskCount ? 'done' : running || done > 0 ? 'running' : 'waiting';
    const current = running ?? failed ?? steps.find((s) => !completed(s.state));
    const starts = steps.map((s) => s.startedAt).filter((t): t is number => t !== undefined);
    const n: NodeProgress = { nodeId, state, steps, done };
    if (current) n.current = current;
    if (starts.length > 0) n.startedAt = Math.min(...starts);
    if (state === 'done') {
      const ends = steps.map((s) => s.finishedAt).filter((t): t is number => t !== undefined);
      if (ends.length > 0) n.finishedAt = Math.max(...ends);
    }
    const c = this.#conditions.get(nodeId);
    if (c && state === 'running') n.condition = c;
    const err = this.#errors.get(nodeId);
    if (err) n.lastError = err;
    return n;
  }

  /** Batches of every node workflow, in plan order. */
  batches(): BatchProgress[] {
    const out: BatchProgress[] = [];
    for (const step of this.plan.steps) {
      if (step.kind !== 'node-workflow') continue;
      for (const b of step.batches) {
        const nodes = b.nodes.map((id) => this.node(step.id, id, step.tasks.length));
        out.push({
          title: `${step.concurrencyUnit} ${b.unit}`,
          workflowStepId: step.id,
          concurrencyUnit: step.concurrencyUnit,
          concurrencyLimit: step.concurrencyLimit,
          nodes,
          nodesDone: nodes.filter((n) => n.state === 'done').length,
          stepsDone: nodes.reduce((a, n) => a + n.done, 0),
          stepsTotal: nodes.length * step.tasks.length,
        });
      }
    }
    return out;
  }

  /** Overall counts (cluster steps count as steps, not nodes). */
  summary(): ProgressSummary {
    const batches = this.batches();
    const nodes = batches.flatMap((b) => b.nodes);
    const all = this.steps();
    return {
      nodesDone: nodes.filter((n) => n.state === 'done').length,
      nodesTotal: nodes.length,
      stepsDone: all.filter((s) => completed(s.state)).length,
      stepsTotal: all.length,
      failedNodes: nodes.filter((n) => n.state === 'failed').length,
      runningNodes: nodes.filter((n) => n.state === 'running').length,
    };
  }

  /**
   * Time left from the durations of finished nodes: per batch, the nodes not
   * done run `limit` at a time, each taking the mean duration of the finished
   * nodes; the time running nodes have already spent is subtracted.
   */
  eta(now: number): Eta {
    const batches = this.batches();
    const durations = batches
      .flatMap((b) => b.nodes)
      .filter((n) => n.state === 'done' && n.startedAt !== undefined && n.finishedAt !== undefined)
      .map((n) => n.finishedAt! - n.startedAt!);
    const remainingNodes = batches.reduce((a, b) => a + b.nodes.filter((n) => n.state !== 'done').length, 0);
    if (remainingNodes === 0) return { remainingMs: 0, basis: 'all nodes done' };
    if (durations.length === 0) return { basis: 'known after the first node finishes' };
    const mean = durations.reduce((a, d) => a + d, 0) / durations.length;
    let ms = 0;
    const limits = new Set<string>();
    for (const b of batches) {
      const left = b.nodes.filter((n) => n.state !== 'done');
      if (left.length === 0) continue;
      limits.add(`${b.concurrencyLimit} at a time per ${b.concurrencyUnit}`);
      const waves = Math.ceil(left.length / b.concurrencyLimit);
      const spent = left.filter((n) => n.state === 'running' && n.startedAt !== undefined).map((n) => Math.max(0, Math.min(mean, now - n.startedAt!)));
      const spentPerWave = spent.length > 0 ? spent.reduce((a, s) => a + s, 0) / Math.min(b.concurrencyLimit, left.length) : 0;
      ms += waves * mean - Math.min(mean, spentPerWave);
    }
    return {
      remainingMs: Math.max(0, ms),
      basis: `mean ${formatDuration(mean)} per node over ${durations.length} finished node(s), ${[...limits].join(', ')}`,
    };
  }
}
