import { RecoverableError, type ClusterExecutionContext, type ExecuteClusterTask } from '@scylla-cp/core';
import { z } from 'zod';
import { scyllaApiFor } from '../services/scylla-api-service.js';
import { RAFT_TABLET_ROUTES } from './raft-tablet-routes.js';

/** Parameters of `!tablet-balancing`. */
export const tabletBalancingParams = z.strictObject({
  /** `false` before a rolling operation (no tablet migrations while nodes go down), `true` in `finally_tasks`. */
  enabled: z.boolean(),
});

/**
 * `!tablet-balancing {enabled}` (cluster task): turns ScyllaDB's tablet load
 * balancer on or off with `POST /storage_service/tablets/balancing?enabled=`.
 * The setting is cluster-wide (kept in group0), so one node that answers is
 * enough: the nodes of the inventory are asked in order until one does.
 * Idempotent (setting the same value twice is a no-op). Errors: no node
 * answering (all unreachable, 5xx) is recoverable; a 4xx (e.g. a version
 * without tablets) is unrecoverable and names the node.
 * Typical use: `enabled: false` as a cluster task before the node workflow,
 * and `enabled: true` in `finally_tasks`, so balancing is back on however the
 * job ends.
 */
export class TabletBalancingTask implements ExecuteClusterTask {
  constructor(readonly enabled: boolean) {}
  name(): string {
    return 'tablet-balancing';
  }
  preconditions() {
    return [];
  }
  async execute(ctx: ClusterExecutionContext): Promise<{ enabled: boolean; via: string }> {
    let last: unknown;
    for (const node of ctx.inventory.nodes) {
      try {
        await scyllaApiFor(ctx, node).call(RAFT_TABLET_ROUTES.tabletBalancing, { query: { enabled: String(this.enabled) } }, { signal: ctx.signal });
        ctx.logger.info(`tablet load balancing ${this.enabled ? 'enabled' : 'disabled'} (through ${node.id})`);
        return { enabled: this.enabled, via: node.id };
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        if (!(e instanceof RecoverableError)) throw e;
        last = e;
      }
    }
    throw new RecoverableError(`no node answered POST /storage_service/tablets/balancing: ${(last as Error)?.message ?? 'the inventory has no nodes'}`, {
      code: 'NO_NODE_ANSWERED',
      cause: last,
    });
  }
}
