import { ConditionCheck, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { NoTopologyChange } from '../conditions/no-topology-change.js';
import { scyllaApi } from '../services/scylla-api-service.js';

/** Parameters of {@link ScyllaCleanup}. */
export interface ScyllaCleanupOptions {
  keyspace: string;
  /** Tables of `keyspace`. @default all */
  tables?: string[];
  /** Seconds between checks for a cleanup already running. @default 10 */
  pollIntervalSeconds?: number;
}

/**
 * `scylla-cleanup {keyspace, tables?}`: drops data the node no longer owns
 * (`POST /storage_service/keyspace_cleanup/{keyspace}[?cf=]`, which blocks until done).
 *
 * Preconditions: `no-topology-change` (Scylla refuses cleanup while topology changes).
 *
 * Idempotency: cleanup of clean sstables rewrites nothing. If a CLEANUP compaction of this
 * keyspace is already running (a resume after the client lost the blocking call), the task
 * waits for it to finish (`/compaction_manager/compactions`, polled on the job clock) before
 * issuing its own call, so two cleanups never run side by side.
 *
 * Errors: 4xx (unknown keyspace) → unrecoverable; unreachable, timeouts, 5xx (e.g. "Can not
 * perform cleanup operation when topology changes") → recoverable.
 */
export class ScyllaCleanup implements ExecuteNodeTask {
  constructor(readonly options: ScyllaCleanupOptions) {}
  name(): string {
    return 'scylla-cleanup';
  }
  preconditions(): ConditionCheck[] {
    return [ConditionCheck.withDefaults(new NoTopologyChange())];
  }
  async execute(ctx: NodeExecutionContext): Promise<void> {
    const api = scyllaApi(ctx);
    const { keyspace } = this.options;
    const pollMs = (this.options.pollIntervalSeconds ?? 10) * 1000;
    for (;;) {
      const running = (await api.compactions({ signal: ctx.signal })).filter((c) => c.taskType === 'CLEANUP' && c.ks === keyspace);
      if (running.length === 0) break;
      ctx.logger.info(`${ctx.node.id}: waiting for ${running.length} running cleanup(s) of ${keyspace} to finish`);
      await ctx.clock.sleep(pollMs, ctx.signal);
    }
    await api.keyspaceCleanup(keyspace, this.options.tables, { signal: ctx.signal });
  }
}
