import type { EventEmitter } from 'eventemitter3';
import type { LogFields, Logger } from '../api/logger.js';
import type { Clock } from '../clock/clock.js';
import type { ErrorDetail } from '../errors/error-detail.js';
import type { JobRecord, JobState } from '../store/job-store.js';
import type { EngineEvents, JobEvent, LogEvent, LogLevel } from './engine-events.js';
import type { FailureBook } from './failure-book.js';

/**
 * What one run tells the world: the engine's typed events (a listener that
 * throws never disturbs the job: the error is logged) and log lines (as a
 * `log` event and to the engine's logger). @internal
 */
export class RunReporter {
  constructor(
    private readonly emitter: EventEmitter<EngineEvents>,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly record: JobRecord,
    private readonly failures: FailureBook,
  ) {}

  /** Emits an engine event. */
  emit<K extends keyof EngineEvents>(name: K, event: Parameters<EngineEvents[K]>[0]): void {
    try {
      (this.emitter.emit as (n: K, e: unknown) => boolean)(name, event);
    } catch (e) {
      try {
        this.logger.error(`an engine '${String(name)}' event listener threw: ${(e as Error)?.message ?? String(e)}`, { jobId: this.record.id });
      } catch {
        // nothing more to do
      }
    }
  }

  /** A log line of the job (a `log` event, then the logger). */
  log(level: LogLevel, message: string, fields?: LogFields, stepId?: string, nodeId?: string): void {
    const ev: LogEvent = { jobId: this.record.id, at: this.clock.now(), level, message };
    if (fields !== undefined) ev.fields = fields;
    if (stepId !== undefined) ev.stepId = stepId;
    if (nodeId !== undefined) ev.nodeId = nodeId;
    this.emit('log', ev);
    const extra = { jobId: this.record.id, ...(stepId ? { stepId } : {}), ...(nodeId ? { nodeId } : {}), ...fields };
    this.logger[level](message, extra);
  }

  /** The job's `job` event (with the failed nodes and steps so far). */
  job(state: JobState | 'interrupted', reason: NonNullable<JobEvent['reason']>, error?: ErrorDetail): void {
    const ev: JobEvent = {
      jobId: this.record.id,
      at: this.clock.now(),
      state,
      cluster: this.record.cluster,
      operator: this.record.operator,
      workflowName: this.record.workflowName,
      reason,
    };
    if (error) ev.error = error;
    if (this.failures.any) {
      ev.failedNodes = this.failures.nodes();
      ev.failedSteps = this.failures.steps();
    }
    this.emit('job', ev);
  }
}
