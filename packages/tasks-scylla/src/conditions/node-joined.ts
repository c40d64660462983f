import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { askMember } from '../tasks/topology-requests.js';
import { NodeUpNormal } from './node-up-normal.js';
import { schemaAgreement } from './schema-agreement.js';

/**
 * `node-joined` (node): the node is a full member: `node-up-normal` on the node itself (NORMAL,
 * UN in its own view, CQL up), a member of the cluster maps its address to its host id among
 * the token owners (`/storage_service/host_id`) and does not list it joining, and the schema
 * agrees (`/storage_proxy/schema_versions`, seen from that member). `detail` says what is missing.
 */
export class NodeJoined implements NodeCondition {
  readonly scope = 'node' as const;
  name(): string {
    return 'node-joined';
  }
  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const up = await new NodeUpNormal().check(ctx);
    if (!up.ok) return up;
    const o = { signal: ctx.signal };
    const seen = await askMember(ctx, ctx.node, async (api, m) => ({
      from: m.id,
      owners: await api.hostIdMap(o),
      joining: await api.joiningNodes(o),
      schema: await schemaAgreement(api, ctx.signal),
    }));
    const owner = seen.owners.find((e) => e.key === ctx.node.address);
    if (!owner) return { ok: false, detail: `${ctx.node.id}: owns no tokens (seen from ${seen.from})` };
    if (seen.joining.includes(ctx.node.address)) return { ok: false, detail: `${ctx.node.id}: still joining (seen from ${seen.from})` };
    if (!seen.schema.ok) return { ok: false, detail: `${ctx.node.id}: ${seen.schema.detail} (seen from ${seen.from})` };
    return { ok: true, detail: `${ctx.node.id}: UN, owns tokens as ${owner.value}, ${seen.schema.detail} (seen from ${seen.from})` };
  }
}
