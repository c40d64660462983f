import type { LogFields, Logger } from '../api/logger.js';
import type { LogLevel } from './engine-events.js';

/** Where a {@link StepLogger} sends its lines. */
export type StepLogSink = (level: LogLevel, message: string, fields: LogFields | undefined, stepId: string, nodeId: string | undefined) => void;

/** The `ctx.logger` of one step: every line carries the step (and node) id. @internal */
export class StepLogger implements Logger {
  constructor(
    private readonly sink: StepLogSink,
    private readonly stepId: string,
    private readonly nodeId: string | undefined,
  ) {}
  debug(message: string, fields?: LogFields): void {
    this.sink('debug', message, fields, this.stepId, this.nodeId);
  }
  info(message: string, fields?: LogFields): void {
    this.sink('info', message, fields, this.stepId, this.nodeId);
  }
  warn(message: string, fields?: LogFields): void {
    this.sink('warn', message, fields, this.stepId, this.nodeId);
  }
  error(message: string, fields?: LogFields): void {
    this.sink('error', message, fields, this.stepId, this.nodeId);
  }
}
