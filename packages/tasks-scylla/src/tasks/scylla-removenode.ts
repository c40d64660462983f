import {
  RecoverableError,
  UnrecoverableError,
  type ClusterExecutionContext,
  type ConditionCheck,
  type ExecuteClusterTask,
  type ExecuteNodeTask,
  type NodeExecutionContext,
} from '@scylla-cp/core';
import { findViewSource, nodeOf } from '../conditions/cluster-view.js';
import { findTopologyTask, waitTopologyTask, withCoordinatorReason } from './topology-requests.js';

/** Parameters of {@link ScyllaRemoveNode}. */
export interface ScyllaRemoveNodeOptions {
  /** Host id of the dead node to remove. */
  hostId: string;
  /** Host ids (or addresses) of other dead nodes to ignore while streaming. @default [] */
  ignoreNodes?: string[];
  /** Seconds between checks while the node is already being removed (state `L`). @default 10 */
  pollIntervalSeconds?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `scylla-removenode {host_id, ignore_nodes?}`: removes a dead node from the cluster
 * (`POST /storage_service/remove_node?host_id=`, blocking until done), coordinated by a NORMAL
 * node (in a node workflow, the step's node first). Usable as a node or a cluster task.
 *
 * No preconditions; checks in `execute`, from the coordinator's node-status view:
 * the host id absent from the view → already removed, done (idempotent); the node `DL` (being
 * removed: a resume after the blocking call was lost) → waits on its `removenode` topology
 * request (failed: `TOPOLOGY_REQUEST_FAILED` with the coordinator's reason), then until it is
 * gone, without a second POST; the node `U` (alive)
 * → `UnrecoverableError` code `REMOVENODE_NODE_ALIVE` (decommission a live node instead);
 * any other node not `UN`, other than `ignore_nodes`, → `RecoverableError` code
 * `REMOVENODE_CLUSTER_NOT_READY`. After the POST the host id must be gone.
 *
 * Errors: invalid host id → `UnrecoverableError` `INVALID_HOST_ID`; 4xx → unrecoverable;
 * unreachable, timeouts, 5xx → recoverable (the next attempt finds it removed or retries).
 */
export class ScyllaRemoveNode implements ExecuteNodeTask, ExecuteClusterTask {
  constructor(readonly options: ScyllaRemoveNodeOptions) {
    if (!UUID.test(options.hostId)) {
      throw new UnrecoverableError(`invalid host_id ${JSON.stringify(options.hostId)}: expected a UUID`, { code: 'INVALID_HOST_ID' });
    }
  }
  name(): string {
    return 'scylla-removenode';
  }
  preconditions(): ConditionCheck<never>[] {
    return [];
  }
  async execute(ctx: NodeExecutionContext | ClusterExecutionContext): Promise<{ alreadyRemoved: boolean; coordinator: string }> {
    const { node, client } = await findViewSource(ctx, nodeOf(ctx));
    const o = { signal: ctx.signal };
    const view = await client.nodeStatus(o);
    let row = view.byHostId(this.options.hostId);
    if (!row) return { alreadyRemoved: true, coordinator: node.id };
    // already being removed (a resume after the blocking call was lost): wait, do not POST again;
    // on its topology request first, so that a rollback fails with the coordinator's reason
    if (row.state === 'L' && row.status !== 'U') {
      const request = await findTopologyTask(ctx, undefined, this.options.hostId, ['removenode']).catch((e: unknown) => {
        if (ctx.signal.aborted) throw e;
        return undefined;
      });
      if (request) {
        await waitTopologyTask(ctx, request.taskId, { what: `removenode of ${this.options.hostId}`, pollMs: (this.options.pollIntervalSeconds ?? 10) * 1000 });
        row = (await client.nodeStatus(o)).byHostId(this.options.hostId);
      }
    }
    while (row && row.state === 'L' && row.status !== 'U') {
      await ctx.clock.sleep((this.options.pollIntervalSeconds ?? 10) * 1000, ctx.signal);
      row = (await client.nodeStatus(o)).byHostId(this.options.hostId);
    }
    if (!row) return { alreadyRemoved: false, coordinator: node.id };
    if (row.status === 'U') {
      throw new UnrecoverableError(`host ${this.options.hostId} (${row.address}) is alive (${row.code}); removenode is for dead nodes, decommission it instead`, {
        code: 'REMOVENODE_NODE_ALIVE',
      });
    }
    const ignore = new Set(this.options.ignoreNodes ?? []);
    const others = view.rows.filter(
      (r) => r !== row && r.code !== 'UN' && !ignore.has(r.address) && !(r.hostId !== undefined && ignore.has(r.hostId)),
    );
    if (others.length > 0) {
      throw new RecoverableError(`cannot remove ${this.options.hostId} now: other nodes are not UN (${others.map((r) => `${r.address}=${r.code}`).join(' ')})`, {
        code: 'REMOVENODE_CLUSTER_NOT_READY',
      });
    }
    // a failure carries the topology coordinator's reason when it rolled the removal back (issue 19)
    const hostId = this.options.hostId;
    await withCoordinatorReason(ctx, () => client.removeNode(hostId, this.options.ignoreNodes, o), { what: `removenode of ${hostId}`, type: 'removenode', hostId: async () => hostId });
    const after = await client.nodeStatus(o);
    if (after.byHostId(this.options.hostId)) {
      throw new RecoverableError(`removenode of ${this.options.hostId} returned but the node is still listed`, { code: 'REMOVENODE_INCOMPLETE' });
    }
    return { alreadyRemoved: false, coordinator: node.id };
  }
}
