import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';

/**
 * `node-up-normal` (node): this node is up and serving, as scylla-operator's readiness probe
 * judges it, read from the node itself: `operation_mode` is `NORMAL`, the row of its own host
 * id (`hostid/local`) in its node-status view is `UN`, and `native_transport` is true (the CQL
 * server starts last). A node that does not answer yet (connection refused, 404 while its API
 * groups register) is a failed poll. `detail` says which part is missing.
 */
export class NodeUpNormal implements NodeCondition {
  readonly scope = 'node' as const;
  name(): string {
    return 'node-up-normal';
  }
  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const api = scyllaApi(ctx);
    const o = { signal: ctx.signal };
    const mode = await api.operationMode(o);
    if (mode !== 'NORMAL') return { ok: false, detail: `${ctx.node.id}: operation mode ${mode}` };
    const [hostId, view, cql] = await Promise.all([api.localHostId(o), api.nodeStatus(o), api.nativeTransport(o)]);
    const row = view.byHostId(hostId);
    const code = row?.code ?? 'absent from its own host-id map';
    const ok = row?.code === 'UN' && cql;
    return {
      ok,
      detail: `${ctx.node.id}: mode NORMAL, status ${code}${row ? ` (${row.address})` : ''}, native transport ${cql ? 'up' : 'down'}`,
    };
  }
}
