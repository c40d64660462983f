import type { ClusterCondition, ClusterConditionContext, ConditionResult } from '@scylla-cp/core';
import type { ScyllaApiClient } from '../client/scylla-api-client.js';
import { findViewSource, nodeOf } from './cluster-view.js';

/** Reads `/storage_proxy/schema_versions` and says whether all live nodes agree. */
export async function schemaAgreement(client: ScyllaApiClient, signal?: AbortSignal): Promise<{ ok: boolean; detail: string }> {
  const versions = await client.schemaVersions({ signal });
  const text = versions.map((v) => `${v.key}: ${v.value.join(',')}`).join('; ');
  const unreachable = versions.some((v) => v.key === 'UNREACHABLE');
  if (versions.length === 1 && !unreachable) return { ok: true, detail: `schema agreement on ${versions[0]!.key}` };
  return { ok: false, detail: `no schema agreement: ${versions.length} versions (${text || 'none reported'})` };
}

/**
 * `schema-agreement` (cluster): `/storage_proxy/schema_versions`, read from a NORMAL node (the
 * context's node first when there is one), has exactly one version and no `UNREACHABLE` entry.
 * `detail` lists the versions and the nodes on each.
 */
export class SchemaAgreement implements ClusterCondition {
  readonly scope = 'cluster' as const;
  name(): string {
    return 'schema-agreement';
  }
  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const { node, client } = await findViewSource(ctx, nodeOf(ctx));
    const r = await schemaAgreement(client, ctx.signal);
    return { ok: r.ok, detail: `${r.detail} (seen from ${node.id})` };
  }
}
