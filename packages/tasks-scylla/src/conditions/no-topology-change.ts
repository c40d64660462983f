import type { ClusterCondition, ClusterConditionContext, ConditionResult } from '@scylla-cp/core';
import { findViewSource, nodeOf } from './cluster-view.js';

/**
 * `no-topology-change` (cluster): no node is joining, leaving or moving
 * (`/storage_service/nodes/{joining,leaving,moving}`, read from a NORMAL node, the context's
 * node first when there is one). `detail` lists the nodes in each list.
 */
export class NoTopologyChange implements ClusterCondition {
  readonly scope = 'cluster' as const;
  name(): string {
    return 'no-topology-change';
  }
  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const { node, client } = await findViewSource(ctx, nodeOf(ctx));
    const o = { signal: ctx.signal };
    const [joining, leaving, moving] = await Promise.all([client.joiningNodes(o), client.leavingNodes(o), client.movingNodes(o)]);
    const parts = [
      joining.length ? `joining: ${joining.join(', ')}` : '',
      leaving.length ? `leaving: ${leaving.join(', ')}` : '',
      moving.length ? `moving: ${moving.join(', ')}` : '',
    ].filter(Boolean);
    if (parts.length === 0) return { ok: true, detail: `no node joining, leaving or moving (seen from ${node.id})` };
    return { ok: false, detail: `topology is changing: ${parts.join('; ')} (seen from ${node.id})` };
  }
}
