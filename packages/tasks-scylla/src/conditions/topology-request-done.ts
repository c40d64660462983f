import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';
import { askMember, describeTask, tasksAhead, TOPOLOGY_TASK_ROUTES, topologyTasks } from '../tasks/topology-requests.js';

/**
 * `topology-request-done` (node): the newest topology request about this node (task manager
 * `node_ops`, asked of a member of the cluster; the node is known by the host id a member maps
 * its address to, else by its own `hostid/local`) is `done`. Queued or running: not yet. Failed:
 * not ok, `detail` holds the coordinator's reason. No request at all: not ok. Queued: `detail`
 * names the requests it is queued behind. While queued or
 * running it reports `progress` (`streaming %`, higher is better) from the task's
 * `progress_completed` / `progress_total`, so `stall_timeout_seconds` keeps a long join, replace or
 * decommission waiting while streaming advances.
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
    const tasks = await askMember(ctx, ctx.node, (api) => topologyTasks(api, ctx.signal));
    const task = tasks.filter((t) => t.entity === hostId).pop();
    if (!task) return { ok: false, detail: `${ctx.node.id}: no topology request for host id ${hostId}` };
    const ahead = task.state === 'created' ? tasksAhead(tasks, task) : [];
    const nodeAt = (h: string): string | undefined => ctx.inventory.nodes.find((n) => n.address === owners.find((e) => e.value === h)?.key)?.id;
    const detail = `${ctx.node.id}: topology request ${task.taskId} (${task.type}) is ${task.state}${ahead.length ? `, queued behind ${ahead.map((t) => describeTask(t, nodeAt)).join(', ')}` : ''}`;
    if (task.state === 'done') return { ok: true, detail };
    if (task.state !== 'created' && task.state !== 'running') return { ok: false, detail };
    const status = await askMember(ctx, ctx.node, (api) => api.call(TOPOLOGY_TASK_ROUTES.taskStatus, { path: { task_id: task.taskId } }, o));
    if (status.state === 'done') return { ok: true, detail: `${ctx.node.id}: topology request ${task.taskId} (${task.type}) is done` };
    if (!(status.progressTotal > 0)) return { ok: false, detail };
    const value = Math.round((10000 * status.progressCompleted) / status.progressTotal) / 100;
    return { ok: false, detail: `${detail}, streaming ${value}%`, progress: { measure: 'streaming %', value, better: 'higher' } };
  }
}
