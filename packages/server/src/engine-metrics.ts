import type { Engine, JobState, JobStore } from '@scylla-cp/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every job state, as the `state` label of `scylla_cp_jobs`. */
const JOB_STATES: readonly JobState[] = ['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled'];

/** Options of {@link EngineMetrics}. */
export interface EngineMetricsOptions {
  /** Read at scrape time for `scylla_cp_jobs` (jobs by state, all replicas together). */
  store: JobStore;
  /** Also export Node's process metrics (`process_*`, `nodejs_*`). @default true */
  processMetrics?: boolean;
  /**
   * Most jobs listed per scrape for `scylla_cp_jobs`, only for a store
   * without `countJobsByState` (the stores of this repository count with one
   * aggregate query, and every job is counted). @default 100000
   */
  maxJobsCounted?: number;
}

/**
 * The engine's own metrics in a prom-client registry: jobs by state (read from
 * the store at scrape time, so every replica reports the same numbers), and
 * this replica's counters and histograms fed by engine events. Names:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `scylla_cp_jobs` | gauge | `state` |
 * | `scylla_cp_steps_started_total` | counter | `task` |
 * | `scylla_cp_steps_succeeded_total` | counter | `task` |
 * | `scylla_cp_steps_failed_total` | counter | `task` |
 * | `scylla_cp_step_retries_total` | counter | `task` |
 * | `scylla_cp_step_duration_seconds` | histogram | `task`, `outcome` |
 * | `scylla_cp_condition_polls_total` | counter | `condition`, `ok` |
 * | `scylla_cp_condition_wait_seconds` | histogram | `condition` (waits that passed) |
 * | `scylla_cp_lease_takeovers_total` | counter | — |
 * | `scylla_cp_notification_failures_total` | counter | `channel` |
 * | `scylla_cp_jobs_run_total` | counter | `outcome` (runs of this replica) |
 */
export class EngineMetrics {
  /** The registry to expose (`await registry.metrics()`). */
  readonly registry = new Registry();
  readonly #stepsStarted: Counter<'task'>;
  readonly #stepsSucceeded: Counter<'task'>;
  readonly #stepsFailed: Counter<'task'>;
  readonly #retries: Counter<'task'>;
  readonly #stepDuration: Histogram<'task' | 'outcome'>;
  readonly #polls: Counter<'condition' | 'ok'>;
  readonly #waits: Histogram<'condition'>;
  readonly #takeovers: Counter;
  readonly #notifyFailures: Counter<'channel'>;
  readonly #runs: Counter<'outcome'>;
  /** First poll time of each wait in progress, by job/step/condition. */
  readonly #waitStarts = new Map<string, number>();

  constructor(options: EngineMetricsOptions) {
    const r = this.registry;
    const store = options.store;
    const max = options.maxJobsCounted ?? 100_000;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: r });
    new Gauge({
      name: 'scylla_cp_jobs',
      help: 'Jobs in the store by state (all replicas).',
      labelNames: ['state'],
      registers: [r],
      async collect() {
        if (store.countJobsByState) {
          const counts = await store.countJobsByState();
          for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
          return;
        }
        const jobs = await store.listJobs({ limit: max });
        const counts = new Map<JobState, number>(JOB_STATES.map((s) => [s, 0]));
        for (const j of jobs) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    this.#stepsStarted = new Counter({ name: 'scylla_cp_steps_started_total', help: 'Steps started (first attempt in a run) by task.', labelNames: ['task'], registers: [r] });
    this.#stepsSucceeded = new Counter({ name: 'scylla_cp_steps_succeeded_total', help: 'Steps that succeeded, by task.', labelNames: ['task'], registers: [r] });
    this.#stepsFailed = new Counter({ name: 'scylla_cp_steps_failed_total', help: 'Steps that failed for good, by task.', labelNames: ['task'], registers: [r] });
    this.#retries = new Counter({ name: 'scylla_cp_step_retries_total', help: 'Attempts that failed recoverably and were retried, by task.', labelNames: ['task'], registers: [r] });
    this.#stepDuration = new Histogram({
      name: 'scylla_cp_step_duration_seconds',
      help: 'Time from a step’s first attempt in a run to its end, seconds.',
      labelNames: ['task', 'outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [r],
    });
    this.#polls = new Counter({ name: 'scylla_cp_condition_polls_total', help: 'Condition polls by condition and whether it held.', labelNames: ['condition', 'ok'], registers: [r] });
    this.#waits = new Histogram({
      name: 'scylla_cp_condition_wait_seconds',
      help: 'Time from the first poll of a condition wait to the poll that completed it, seconds.',
      labelNames: ['condition'],
      buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers: [r],
    });
    this.#takeovers = new Counter({ name: 'scylla_cp_lease_takeovers_total', help: 'Jobs this replica took over from a runner whose lease expired.', registers: [r] });
    this.#notifyFailures = new Counter({ name: 'scylla_cp_notification_failures_total', help: 'Notification deliveries given up, by channel.', labelNames: ['channel'], registers: [r] });
    this.#runs = new Counter({ name: 'scylla_cp_jobs_run_total', help: 'Runs of jobs by this replica, by how they ended.', labelNames: ['outcome'], registers: [r] });
  }

  /** Feeds the counters and histograms from an engine's events. Returns a function that detaches them. */
  attach(engine: Pick<Engine, 'on' | 'off'>): () => void {
    const step = (e: { task: string; state: string; attempt: number; durationMs?: number }) => {
      if (e.state === 'running') this.#stepsStarted.inc({ task: e.task });
      else {
        (e.state === 'succeeded' ? this.#stepsSucceeded : this.#stepsFailed).inc({ task: e.task });
        if (e.durationMs !== undefined) this.#stepDuration.observe({ task: e.task, outcome: e.state }, e.durationMs / 1000);
      }
    };
    const retry = (e: { task: string }) => this.#retries.inc({ task: e.task });
    const poll = (e: { jobId: string; stepId: string; condition: string; ok: boolean; passed: boolean; poll: number; at: number }) => {
      this.#polls.inc({ condition: e.condition, ok: String(e.ok) });
      const key = `${e.jobId}\u0000${e.stepId}\u0000${e.condition}`;
      if (e.poll === 1) this.#waitStarts.set(key, e.at);
      if (e.passed) {
        const start = this.#waitStarts.get(key) ?? e.at;
        this.#waitStarts.delete(key);
        this.#waits.observe({ condition: e.condition }, Math.max(0, e.at - start) / 1000);
      }
    };
    const notification = (e: { channel: string; status: string }) => {
      if (e.status === 'failed') this.#notifyFailures.inc({ channel: e.channel });
    };
    const job = (e: { jobId: string; state: string; reason?: string }) => {
      if (e.reason === 'started' || e.reason === 'resumed') return;
      for (const k of this.#waitStarts.keys()) if (k.startsWith(`${e.jobId}\u0000`)) this.#waitStarts.delete(k);
      this.#runs.inc({ outcome: e.state });
    };
    engine.on('step', step);
    engine.on('retry', retry);
    engine.on('condition-poll', poll);
    engine.on('notification', notification);
    engine.on('job', job);
    return () => {
      engine.off('step', step);
      engine.off('retry', retry);
      engine.off('condition-poll', poll);
      engine.off('notification', notification);
      engine.off('job', job);
    };
  }

  /** Counts one takeover of a job whose previous runner's lease had expired. */
  leaseTakeover(): void {
    this.#takeovers.inc();
  }

  /** The exposition text (Prometheus text format). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The exposition's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
