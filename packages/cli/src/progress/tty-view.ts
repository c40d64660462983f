import type { JobPlan, StepRecord } from '@scylla-cp/core';
import type { Colors } from '../colors.js';
import { JobProgress } from './job-progress.js';
import { LineProgressView } from './line-view.js';
import { renderLiveView } from './live-render.js';
import { listen, type EventSource, type ProgressView } from './progress-view.js';

const ESC = '\u001b[';

/** Options of {@link TtyProgressView}. */
export interface TtyViewOptions {
  /** The stored step records to start from (a resume). @default none */
  records?: readonly StepRecord[];
  /** When the job was created (elapsed counts from here). @default now() at attach */
  startedAt?: number;
  colors: Colors;
  /** Redraw period, ms (at most 1000: the elapsed time and countdowns move every second). @default 250 */
  redrawMs?: number;
}

/**
 * The live view for terminals, redrawn in place at least once a second:
 * overall and per-zone progress, elapsed time, ETA with its basis, per node in
 * flight the step `i/n` by name and attempt, a condition's `holding 12/20s`
 * countdown and the last error (see `renderLiveView`). Counts start from the
 * stored step records, so they are right after a resume. Job events, retries,
 * failures and notes scroll above it as timestamped lines, each once.
 */
export class TtyProgressView implements ProgressView {
  #detach: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drawnLines = 0;
  #state = 'STARTING';
  #startedAt: number | undefined;
  readonly progress: JobProgress;
  readonly #lines: LineProgressView;
  readonly #redrawMs: number;

  constructor(
    private readonly out: NodeJS.WritableStream & { columns?: number },
    plan: JobPlan,
    private readonly now: () => number,
    private readonly options: TtyViewOptions,
  ) {
    this.progress = new JobProgress(plan);
    if (options.records) this.progress.applyRecords(options.records);
    this.#startedAt = options.startedAt;
    this.#redrawMs = Math.min(1000, options.redrawMs ?? 250);
    this.#lines = new LineProgressView({ write: (s: string) => this.#scroll(s) } as NodeJS.WritableStream, now, { polls: false, steps: 'failures' });
  }

  attach(source: EventSource): void {
    this.#startedAt ??= this.now();
    this.#lines.attach(source);
    const detachState = listen(source, {
      job: (e) => {
        this.#state = String(e.state).toUpperCase();
      },
      step: (e) => this.progress.onStep(e),
      retry: (e) => this.progress.onRetry(e),
      'condition-poll': (e) => this.progress.onPoll(e),
    });
    this.#detach = () => {
      this.#lines.detach();
      detachState();
    };
    this.#timer = setInterval(() => this.#draw(), this.#redrawMs);
    this.#timer.unref?.();
    this.#draw();
  }

  detach(): void {
    this.#detach?.();
    if (this.#timer) clearInterval(this.#timer);
    this.#draw();
  }

  note(message: string): void {
    this.#lines.note(message);
  }

  #scroll(text: string): void {
    this.#erase();
    this.out.write(text);
    this.#draw();
  }

  #erase(): void {
    if (this.#drawnLines > 0) {
      this.out.write(`${ESC}${this.#drawnLines}F${ESC}0J`);
      this.#drawnLines = 0;
    }
  }

  #draw(): void {
    const lines = renderLiveView(this.progress, {
      now: this.now(),
      startedAt: this.#startedAt ?? this.now(),
      state: this.#state,
      width: this.out.columns ?? 100,
      colors: this.options.colors,
    });
    this.#erase();
    this.out.write(`${lines.join('\n')}\n`);
    this.#drawnLines = lines.length;
  }
}
