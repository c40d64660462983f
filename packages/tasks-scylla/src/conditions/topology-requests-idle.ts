import type { ClusterCondition, ClusterConditionContext, ConditionResult } from '@scylla-cp/core';
import { askMember } from '../tasks/ask-member.js';
import { describeCoordinator, topologyCoordinatorHost } from '../tasks/topology-coordinator-host.js';
import { describeTask, topologyTasks } from '../tasks/topology-requests.js';
import { nodeOf } from './cluster-view.js';

/**
 * `topology-requests-idle` (cluster): no topology request is queued or running, as the task
 * manager's `node_ops` module lists them on a member of the cluster (other than the context's
 * node; ScyllaDB's Raft topology coordinator runs one node operation at a time and queues the
 * rest). `no-topology-change` sees only nodes already joining or leaving; a request still queued
 * (state `created`) shows up here only. Not ok: `detail` lists the open requests (type, node,
 * queued or running) and where the coordinator runs (`GET /raft/leader_host`).
 */
export class TopologyRequestsIdle implements ClusterCondition {
  readonly scope = 'cluster' as const;
  name(): string {
    return 'topology-requests-idle';
  }
  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const o = { signal: ctx.signal };
    const { tasks, owners, member } = await askMember(ctx, nodeOf(ctx), async (api, m) => {
      const [t, h] = await Promise.all([topologyTasks(api, ctx.signal), api.hostIdMap(o)]);
      return { tasks: t, owners: h, member: m };
    });
    const open = tasks.filter((t) => t.state === 'created' || t.state === 'running');
    if (open.length === 0) return { ok: true, detail: `no topology request queued or running (asked ${member.id})` };
    const nodeAt = (hostId: string): string | undefined => {
      const address = owners.find((e) => e.value === hostId)?.key;
      return ctx.inventory.nodes.find((n) => n.address === address)?.id;
    };
    const coordinator = await topologyCoordinatorHost(ctx, nodeOf(ctx));
    return { ok: false, detail: `topology requests open: ${open.map((t) => describeTask(t, nodeAt)).join(', ')}; ${describeCoordinator(coordinator)} (asked ${member.id})` };
  }
}
