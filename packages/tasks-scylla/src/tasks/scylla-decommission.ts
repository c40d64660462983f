import { ConditionCheck, RecoverableError, UnrecoverableError, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { ClusterNormal } from '../conditions/cluster-normal.js';
import { NoTopologyChange } from '../conditions/no-topology-change.js';
import { UnlessNodeMode } from '../conditions/unless-node-mode.js';
import { scyllaApi } from '../services/scylla-api-service.js';
import { failedTopologyReason, findTopologyTask, waitTopologyTask, withCoordinatorReason } from './topology-requests.js';

/** Parameters of {@link ScyllaDecommission}. */
export interface ScyllaDecommissionOptions {
  /** Seconds between mode checks while the node is LEAVING. @default 10 */
  pollIntervalSeconds?: number;
}

/**
 * `scylla-decommission`: streams the node's data to the others and removes it from the ring
 * (`POST /storage_service/decommission`, blocking until done).
 *
 * Preconditions: `cluster-normal` and `no-topology-change`, both skipped once the node is
 * LEAVING or DECOMMISSIONED (a resume of this very decommission).
 *
 * Idempotency: reads `operation_mode` first: DECOMMISSIONED → done; LEAVING → waits (job clock)
 * on the node's `decommission` topology request until it is done (or failed: the coordinator's
 * reason), then until DECOMMISSIONED, without a second POST; NORMAL → requires the CQL server up (as
 * scylla-operator does, so a node still starting is not decommissioned), then POSTs. If the
 * POST fails or times out, the next attempt finds LEAVING and waits.
 *
 * Errors: the POST fails and the node's `decommission` topology task (task manager `node_ops`)
 * failed → `UnrecoverableError` `TOPOLOGY_REQUEST_FAILED` with the coordinator's reason; another
 * mode (DRAINED, JOINING, ...) → `UnrecoverableError` code
 * `DECOMMISSION_WRONG_MODE`; 4xx → unrecoverable; unreachable, timeouts, 5xx, and a NORMAL node
 * whose CQL server is not up yet → recoverable.
 */
export class ScyllaDecommission implements ExecuteNodeTask {
  constructor(readonly options: ScyllaDecommissionOptions = {}) {}
  name(): string {
    return 'scylla-decommission';
  }
  preconditions(): ConditionCheck[] {
    const skip = ['LEAVING', 'DECOMMISSIONED'];
    return [
      ConditionCheck.withDefaults(new UnlessNodeMode(new ClusterNormal(), skip)),
      ConditionCheck.withDefaults(new UnlessNodeMode(new NoTopologyChange(), skip)),
    ];
  }
  async execute(ctx: NodeExecutionContext): Promise<{ alreadyDecommissioned: boolean }> {
    const api = scyllaApi(ctx);
    const o = { signal: ctx.signal };
    const pollMs = (this.options.pollIntervalSeconds ?? 10) * 1000;
    let mode = await api.operationMode(o);
    if (mode === 'DECOMMISSIONED') return { alreadyDecommissioned: true };
    if (mode === 'NORMAL') {
      if (!(await api.nativeTransport(o))) {
        throw new RecoverableError(`${ctx.node.id}: NORMAL but its CQL server is not up yet (still starting?); not decommissioning now`, {
          code: 'NODE_NOT_SERVING',
        });
      }
      // a failure carries the topology coordinator's reason when it rolled the leave back (issue 19)
      await withCoordinatorReason(ctx, () => api.decommission(o), { what: `${ctx.node.id}: decommission`, type: 'decommission', hostId: () => api.localHostId(o), except: ctx.node });
      mode = await api.operationMode(o);
    } else if (mode === 'LEAVING') {
      // A resume of this very decommission: wait on its topology request (task manager
      // `node_ops`, asked of a member) so that a rollback fails with the coordinator's reason.
      // A cluster that reports no such request (older ScyllaDB) is followed by mode alone.
      const request = await api
        .localHostId(o)
        .then((hostId) => findTopologyTask(ctx, ctx.node, hostId, ['decommission']))
        .catch((e: unknown) => {
          if (ctx.signal.aborted) throw e;
          return undefined;
        });
      if (request) {
        await waitTopologyTask(ctx, request.taskId, { what: `${ctx.node.id}: decommission`, except: ctx.node, pollMs });
        mode = await api.operationMode(o);
      }
    } else {
      throw new UnrecoverableError(`${ctx.node.id}: refusing to decommission a node in mode ${mode} (expected NORMAL)`, {
        code: 'DECOMMISSION_WRONG_MODE',
        details: { node: ctx.node.id, mode },
      });
    }
    while (mode === 'LEAVING') {
      await ctx.clock.sleep(pollMs, ctx.signal);
      mode = await api.operationMode(o);
    }
    if (mode !== 'DECOMMISSIONED') {
      const failed = await failedTopologyReason(ctx, ctx.node, await api.localHostId(o).catch(() => ''), 'decommission');
      if (failed) {
        throw new UnrecoverableError(`${ctx.node.id}: decommission failed in the topology coordinator: ${failed.reason} (topology request ${failed.taskId})`, {
          code: 'TOPOLOGY_REQUEST_FAILED',
          details: { taskId: failed.taskId, type: 'decommission', node: ctx.node.id, reason: failed.reason },
        });
      }
      throw new UnrecoverableError(`${ctx.node.id}: decommission ended in mode ${mode}, not DECOMMISSIONED; see the node's log`, {
        code: 'DECOMMISSION_FAILED',
        details: { node: ctx.node.id, mode },
      });
    }
    return { alreadyDecommissioned: false };
  }
}
