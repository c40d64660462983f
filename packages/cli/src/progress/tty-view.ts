import type { ConditionPollEvent, JobEvent, JobPlan, RetryEvent, StepEvent } from '@scylla-cp/core';
import { LineProgressView } from './line-view.js';
import { listen, type EventSource, type ProgressView } from './progress-view.js';

interface NodeLine {
  nodeId: string;
  status: 'waiting' | 'running' | 'done' | 'failed';
  task: string;
  attempt: number;
  detail: string;
  doneTasks: number;
}

const ESC = '\u001b[';
const color = {
  dim: (s: string) => `${ESC}2m${s}${ESC}0m`,
  green: (s: string) => `${ESC}32m${s}${ESC}0m`,
  red: (s: string) => `${ESC}31m${s}${ESC}0m`,
  yellow: (s: string) => `${ESC}33m${s}${ESC}0m`,
  bold: (s: string) => `${ESC}1m${s}${ESC}0m`,
};

/**
 * A live view for terminals: one block per batch (zone, rack, dc) with a line
 * per node showing its current step, attempt and the latest condition detail,
 * redrawn in place at most every `redrawMs`. Job-level events, retries and
 * failures also scroll above it as timestamped lines.
 */
export class TtyProgressView implements ProgressView {
  #detach: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drawnLines = 0;
  #dirty = false;
  #header = '';
  readonly #nodes = new Map<string, NodeLine>();
  readonly #batches: { title: string; nodes: string[] }[] = [];
  readonly #taskCount: number;
  readonly #lines: LineProgressView;

  constructor(
    private readonly out: NodeJS.WritableStream & { columns?: number },
    plan: JobPlan,
    private readonly now: () => number,
    private readonly redrawMs = 200,
  ) {
    let tasks = 0;
    for (const step of plan.steps) {
      if (step.kind !== 'node-workflow') continue;
      tasks = Math.max(tasks, step.tasks.length);
      for (const b of step.batches) {
        this.#batches.push({ title: `${step.name} · ${step.concurrencyUnit} ${b.unit} (limit ${step.concurrencyLimit})`, nodes: b.nodes });
        for (const n of b.nodes) this.#nodes.set(n, { nodeId: n, status: 'waiting', task: '', attempt: 0, detail: '', doneTasks: 0 });
      }
    }
    this.#taskCount = tasks;
    this.#header = `${plan.workflowName} on ${plan.cluster}`;
    this.#lines = new LineProgressView({ write: (s: string) => this.#scroll(s) } as NodeJS.WritableStream, now);
  }

  attach(source: EventSource): void {
    const detachLines = listen(source, {
      job: (e: JobEvent) => this.#lines.note(`job ${e.jobId} ${e.reason ?? e.state} [${e.state}]${e.error ? `: ${e.error.message}` : ''}`),
      retry: (e: RetryEvent) =>
        this.#lines.note(`${e.task}${e.nodeId ? ` on ${e.nodeId}` : ''} attempt ${e.attempt} failed (${e.error.message}); retry in ${(e.delayMs / 1000).toFixed(1)}s`),
    });
    const detachState = listen(source, {
      step: (e: StepEvent) => this.#onStep(e),
      'condition-poll': (e: ConditionPollEvent) => this.#onPoll(e),
    });
    this.#detach = () => {
      detachLines();
      detachState();
    };
    this.#timer = setInterval(() => this.#draw(), this.redrawMs);
    this.#timer.unref?.();
    this.#dirty = true;
    this.#draw();
  }

  detach(): void {
    this.#detach?.();
    if (this.#timer) clearInterval(this.#timer);
    this.#dirty = true;
    this.#draw();
  }

  note(message: string): void {
    this.#lines.note(message);
  }

  #onStep(e: StepEvent): void {
    if (!e.nodeId) return;
    const n = this.#nodes.get(e.nodeId);
    if (!n) return;
    n.task = e.task;
    n.attempt = e.attempt;
    if (e.state === 'running') {
      n.status = 'running';
      n.detail = '';
    } else if (e.state === 'succeeded') {
      n.doneTasks += 1;
      n.detail = '';
      n.status = n.doneTasks >= this.#taskCount ? 'done' : 'running';
    } else {
      n.status = 'failed';
      n.detail = e.error?.message ?? 'failed';
    }
    this.#dirty = true;
  }

  #onPoll(e: ConditionPollEvent): void {
    if (!e.nodeId) return;
    const n = this.#nodes.get(e.nodeId);
    if (!n) return;
    const held = e.ok ? ` (${e.heldSeconds}/${e.successWindowSeconds}s)` : '';
    n.detail = `${e.condition}: ${e.detail}${held}`;
    this.#dirty = true;
  }

  #scroll(text: string): void {
    this.#erase();
    this.out.write(text);
    this.#dirty = true;
  }

  #erase(): void {
    if (this.#drawnLines > 0) {
      this.out.write(`${ESC}${this.#drawnLines}F${ESC}0J`);
      this.#drawnLines = 0;
    }
  }

  #draw(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
    const lines: string[] = [color.bold(cut(this.#header))];
    for (const b of this.#batches) {
      const states = b.nodes.map((id) => this.#nodes.get(id)!);
      const done = states.filter((s) => s.status === 'done').length;
      const failed = states.filter((s) => s.status === 'failed').length;
      lines.push(cut(`${b.title}: ${done}/${b.nodes.length} done${failed > 0 ? `, ${failed} failed` : ''}`));
      for (const s of states) {
        // Only nodes in flight or failed get a line; finished ones are counted above.
        if (s.status === 'waiting' || s.status === 'done') continue;
        const progress = `${s.doneTasks}/${this.#taskCount}`;
        const base = `  ${s.nodeId} ${progress} ${s.task} (attempt ${s.attempt})`;
        const text = cut(s.detail ? `${base} · ${s.detail}` : base);
        lines.push(s.status === 'failed' ? color.red(text) : color.yellow(text));
      }
    }
    this.#erase();
    this.out.write(`${lines.join('\n')}\n`);
    this.#drawnLines = lines.length;
  }
}
