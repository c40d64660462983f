import { ConditionCheck, RecoverableError, UnrecoverableError, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';
import { ClusterNormal } from '../conditions/cluster-normal.js';
import { QuorumSafe } from '../conditions/quorum-safe.js';
import { UnlessNodeMode } from '../conditions/unless-node-mode.js';

/** Parameters of {@link ScyllaDrain}. */
export interface ScyllaDrainOptions {
  /** Seconds the blocking `POST /storage_service/drain` may take. @default 600 */
  timeoutSeconds?: number;
}

/**
 * `scylla-drain`: flushes memtables and stops the node's CQL server, gossip and messaging
 * (`POST /storage_service/drain`, which blocks until the node is DRAINED).
 *
 * Preconditions: `quorum-safe` and `cluster-normal`, each skipped once this node is already
 * DRAINED (on a resume after the drain, cluster-normal would never hold again).
 *
 * Idempotency: reads `operation_mode` first: DRAINED → done without a call; DRAINING → the
 * POST waits behind the drain in progress (Scylla serializes it) and returns when DRAINED;
 * NORMAL → drains. After the POST the mode must be DRAINED.
 *
 * Errors: a node in another mode (STARTING, JOINING, LEAVING, DECOMMISSIONED, MAINTENANCE, ...)
 * → `UnrecoverableError` code `DRAIN_WRONG_MODE` (someone else is changing this node);
 * REST 4xx → unrecoverable; unreachable, timeouts, 5xx → recoverable; mode not DRAINED after
 * the POST → `RecoverableError` code `DRAIN_INCOMPLETE`.
 */
export class ScyllaDrain implements ExecuteNodeTask {
  constructor(readonly options: ScyllaDrainOptions = {}) {}
  name(): string {
    return 'scylla-drain';
  }
  preconditions(): ConditionCheck[] {
    return [
      ConditionCheck.withDefaults(new UnlessNodeMode(new QuorumSafe(), ['DRAINED'])),
      ConditionCheck.withDefaults(new UnlessNodeMode(new ClusterNormal(), ['DRAINED'])),
    ];
  }
  async execute(ctx: NodeExecutionContext): Promise<{ alreadyDrained: boolean }> {
    const api = scyllaApi(ctx);
    const mode = await api.operationMode({ signal: ctx.signal });
    if (mode === 'DRAINED') {
      ctx.logger.info(`${ctx.node.id} is already DRAINED`);
      return { alreadyDrained: true };
    }
    if (mode !== 'NORMAL' && mode !== 'DRAINING') {
      throw new UnrecoverableError(`${ctx.node.id}: refusing to drain a node in mode ${mode} (expected NORMAL)`, {
        code: 'DRAIN_WRONG_MODE',
        details: { node: ctx.node.id, mode },
      });
    }
    await api.drain({ signal: ctx.signal, timeoutSeconds: this.options.timeoutSeconds ?? 600 });
    const after = await api.operationMode({ signal: ctx.signal });
    if (after !== 'DRAINED') {
      throw new RecoverableError(`${ctx.node.id}: drain returned but the mode is ${after}, not DRAINED`, {
        code: 'DRAIN_INCOMPLETE',
        details: { node: ctx.node.id, mode: after },
      });
    }
    return { alreadyDrained: false };
  }
}
