import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';
import { askMember, findTopologyTask } from '../tasks/topology-requests.js';

/**
 * `topology-request-done` (node): the newest topology request about this node (task manager
 * `node_ops`, asked of a member of the cluster; the node is known by the host id a member maps
 * its address to, else by its own `hostid/local`) is `done`. Queued or running: not yet. Failed:
 * not ok, `detail` holds the coordinator's reason. No request at all: not ok.
 */
export class TopologyRequestDone implements NodeCondition {
  readonly scope = 'node' as const;
  name(): string {
    return 'topology-request-done';
  }
  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const o = { signal: ctx.signal };
    const owners = await askMember(ctx, ctx.node, (api) => api.hostIdMap(o));
    let hostId = owners.find((e) => e.key === ctx.node.address)?.value;
    if (!hostId) {
      hostId = await scyllaApi(ctx).localHostId(o);
    }
    const task = await findTopologyTask(ctx, ctx.node, hostId);
    if (!task) return { ok: false, detail: `${ctx.node.id}: no topology request for host id ${hostId}` };
    return { ok: task.state === 'done', detail: `${ctx.node.id}: topology request ${task.taskId} (${task.type}) is ${task.state}` };
  }
}
