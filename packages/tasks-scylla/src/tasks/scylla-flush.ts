import type { ConditionCheck, ExecuteNodeTask, NodeExecutionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';

/** Parameters of {@link ScyllaFlush}. */
export interface ScyllaFlushOptions {
  /** Keyspace to flush. @default every keyspace (`POST /storage_service/flush`) */
  keyspace?: string;
  /** Tables of `keyspace`. @default all */
  tables?: string[];
}

/**
 * `scylla-flush {keyspace?, tables?}`: writes memtables to sstables
 * (`POST /storage_service/keyspace_flush/{keyspace}[?cf=]`, or `POST /storage_service/flush`).
 * No preconditions. Idempotent: flushing twice leaves the same data on disk (the second flush
 * writes what arrived meanwhile). Errors: 4xx (e.g. an unknown keyspace) → unrecoverable;
 * unreachable, timeouts, 5xx → recoverable.
 */
export class ScyllaFlush implements ExecuteNodeTask {
  constructor(readonly options: ScyllaFlushOptions = {}) {}
  name(): string {
    return 'scylla-flush';
  }
  preconditions(): ConditionCheck[] {
    return [];
  }
  async execute(ctx: NodeExecutionContext): Promise<void> {
    await scyllaApi(ctx).flush(this.options.keyspace, this.options.tables, { signal: ctx.signal });
  }
}
