import { isIP } from 'node:net';
import { nodeMembership, type ClusterCondition, type ClusterConditionContext, type ConditionResult } from '@scylla-cp/core';
import { disruptedPeers, findViewSource, nodeOf } from './cluster-view.js';
import { schemaAgreement } from './schema-agreement.js';

/**
 * `cluster-normal` (cluster): every node is `UN` by nodetool's rules and the schema agrees.
 *
 * Read from a NORMAL node (the context's node first when there is one): the node-status view
 * (host-id map, live/down, joining/leaving/moving, excluded) must have no row other than `UN`;
 * every inventory member whose address is an IP literal must have a row (a node Scylla does not
 * list at all is not normal), except nodes marked `new`/`replaces` (not joined yet: once listed,
 * their row must be UN like any other), the dead nodes they replace, and nodes this job took
 * down that Scylla no longer lists (decommissioned by the job); `/storage_proxy/schema_versions` must have one version.
 * Nodes this job has taken, or is taking, down (`ctx.job.disruptedNodes`, other than the
 * context's own node) are not normal whatever the view says yet.
 * `detail` lists the rows that are not UN, missing nodes, the job's disrupted nodes and the
 * schema versions.
 */
export class ClusterNormal implements ClusterCondition {
  readonly scope = 'cluster' as const;
  name(): string {
    return 'cluster-normal';
  }
  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const { node, client } = await findViewSource(ctx, nodeOf(ctx));
    const view = await client.nodeStatus({ signal: ctx.signal });
    const problems: string[] = [];
    const bad = view.notUpNormal();
    if (bad.length > 0) problems.push(`not UN: ${bad.map((r) => `${r.address}=${r.code}`).join(' ')}`);
    // Another node this job is taking down is not normal, whatever gossip says yet.
    const self = nodeOf(ctx);
    const ours = await disruptedPeers(ctx, view, self);
    // ... unless it left the cluster (a decommission by this job): Scylla no longer lists it
    const left = (id: string): boolean => {
      const n = ctx.inventory.nodes.find((x) => x.id === id);
      return n !== undefined && isIP(n.address) !== 0 && !view.get(n.address);
    };
    const down = ours.ids.filter((id) => !left(id));
    if (down.length > 0) problems.push(`taken down by this job: ${down.join(', ')}`);
    // Not required in the view (issue 19): nodes not joined yet (new, replacements), dead nodes
    // being replaced, and nodes this job took out of the cluster (decommissioned: gone from it).
    const gone = ctx.job.disruptedNodes ?? new Set<string>();
    const expected = ctx.inventory.nodes.filter((n) => nodeMembership(ctx.inventory, n) === 'member' && !gone.has(n.id));
    const missing = expected.filter((n) => isIP(n.address) !== 0 && !view.get(n.address)).map((n) => `${n.id} (${n.address})`);
    if (missing.length > 0) problems.push(`not in the cluster's view: ${missing.join(', ')}`);
    const schema = await schemaAgreement(client, ctx.signal);
    if (!schema.ok) problems.push(schema.detail);
    const seen = `seen from ${node.id}`;
    if (problems.length === 0) return { ok: true, detail: `all ${view.rows.length} nodes UN, ${schema.detail} (${seen})` };
    return { ok: false, detail: `${problems.join('; ')} (${seen})` };
  }
}
