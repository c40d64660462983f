import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';

/**
 * `scylla-pending-compactions {max}` (node): the node's pending-compaction estimate
 * (`/compaction_manager/metrics/pending_tasks`, summed over tables and shards) is at most `max`.
 * For clusters without Prometheus. `detail` gives the count, the running compactions
 * (`/compaction_manager/compactions`) and the busiest tables. Reports the pending count as its
 * progress measure (lower is better), so `stall_timeout_seconds` keeps a wait going while it falls.
 */
export class ScyllaPendingCompactions implements NodeCondition {
  readonly scope = 'node' as const;
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be an integer >= 0, got ${max}`);
  }
  name(): string {
    return 'scylla-pending-compactions';
  }
  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const api = scyllaApi(ctx);
    const o = { signal: ctx.signal };
    const [pending, running] = await Promise.all([api.pendingCompactionTasks(o), api.compactions(o)]);
    let tables = '';
    if (pending > this.max) {
      const byTable = (await api.pendingCompactionTasksByTable(o)).filter((t) => t.task > 0).sort((a, b) => b.task - a.task);
      tables = byTable.length ? `; top: ${byTable.slice(0, 3).map((t) => `${t.ks}.${t.cf}=${t.task}`).join(', ')}` : '';
    }
    return {
      // Falling pending compactions are progress (stall_timeout_seconds waits on while they fall).
      progress: { measure: 'pending compactions', value: pending, better: 'lower' },
      ok: pending <= this.max,
      detail: `${ctx.node.id}: pending compactions ${pending} ${pending <= this.max ? '<=' : '>'} ${this.max}, running ${running.length}${tables}`,
    };
  }
}
