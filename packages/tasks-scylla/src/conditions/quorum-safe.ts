import { type ConditionResult, type NodeCondition, type NodeConditionContext } from '@scylla-cp/core';
import { ScyllaApiError } from '../client/scylla-api-errors.js';
import { disruptedPeers, findViewSource, scyllaAddressOf } from './cluster-view.js';
import { quorumLoss, type QuorumLevel, type QuorumViolation } from './quorum-math.js';

/** Parameters of {@link QuorumSafe}. */
export interface QuorumSafeOptions {
  /**
   * `local_quorum` (default): every range the node replicates keeps a quorum of live replicas
   * overall **and** within the node's datacenter; `quorum`: overall only.
   * @default 'local_quorum'
   */
  level?: QuorumLevel;
  /**
   * Keyspaces not to check (e.g. `system_distributed`, whose SimpleStrategy RF 3 ignores racks,
   * when a workflow takes several nodes of one rack down at once and accepts that its QUORUM
   * operations may fail meanwhile). @default []
   */
  ignoreKeyspaces?: string[];
}

/**
 * `quorum-safe` (node): taking this node down keeps every token range it replicates, in every
 * keyspace with a non-local replication strategy, at or above quorum among live replicas.
 *
 * How: a view node is chosen (this node if it is NORMAL, else another NORMAL node); from it,
 * the live set (status `U` by nodetool's rules), `keyspaces?type=non_local_strategy` (local
 * system keyspaces excluded), and `describe_ring` per keyspace (per table, from
 * `/column_family/name`, for tablets keyspaces). For each range whose replicas include this
 * node: live replicas other than it ≥ ⌊RF/2⌋+1 (and, with `local_quorum`, the same within its
 * datacenter). The node's own liveness does not matter, so the check gives the same answer
 * before and after the node is drained or stopped (resumes see the same verdict).
 *
 * Nodes this job has taken, or is taking, down (`ctx.job.disruptedNodes`) count as not live
 * whatever gossip says: peers notice a crash only after failure detection, and two checks in
 * one batch must not both pass on that stale view (the engine also serializes the decisions).
 * A node already in that set passes at once: it is already counted down, so a later
 * disruptive step of it (a stop after the drain, a re-attempt on resume) takes nothing more
 * down.
 * `detail` names the keyspaces and ranges checked, or the first violations with the replicas
 * that are not live.
 */
export class QuorumSafe implements NodeCondition {
  readonly scope = 'node' as const;
  readonly level: QuorumLevel;
  readonly ignoreKeyspaces: readonly string[];

  constructor(options: QuorumSafeOptions = {}) {
    this.level = options.level ?? 'local_quorum';
    this.ignoreKeyspaces = options.ignoreKeyspaces ?? [];
  }

  name(): string {
    return 'quorum-safe';
  }

  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    if (ctx.job.disruptedNodes?.has(ctx.node.id)) {
      // The decision to take this node down was made (and guarded) when it
      // first went down; its later steps (stop after drain, a resume) do not
      // take it down again. Without this, two nodes down at a crash would
      // each wait on the other forever.
      return { ok: true, detail: `${ctx.node.id} is already taken down by this job (counted down since its first disruptive step); nothing more to decide` };
    }
    const o = { signal: ctx.signal };
    const { node: viewNode, client } = await findViewSource(ctx, ctx.node);
    const view = await client.nodeStatus(o);
    const target = await scyllaAddressOf(ctx, ctx.node, view);
    const disrupted = await disruptedPeers(ctx, view, ctx.node);
    const live = new Set(view.rows.filter((r) => r.status === 'U' && !disrupted.addresses.has(r.address)).map((r) => r.address));
    const keyspaces = (await client.keyspaces({ type: 'non_local_strategy' }, o)).filter((k) => !this.ignoreKeyspaces.includes(k));
    let tabletKeyspaces = new Set<string>();
    try {
      tabletKeyspaces = new Set(await client.keyspaces({ type: 'non_local_strategy', replication: 'tablets' }, o));
    } catch (e) {
      // an older Scylla without the `replication` filter: every keyspace is vnodes
      if (!(e instanceof ScyllaApiError) || e.retryable) throw e;
    }
    let tables: string[] | undefined;
    let ranges = 0;
    const violations: QuorumViolation[] = [];
    for (const ks of keyspaces.sort()) {
      if (tabletKeyspaces.has(ks)) {
        tables ??= await client.tableNames(o);
        for (const t of tables.filter((n) => n.startsWith(`${ks}:`)).map((n) => n.slice(ks.length + 1))) {
          const r = quorumLoss(ks, await client.describeRing(ks, t, o), target, live, this.level, t);
          ranges += r.rangesChecked;
          violations.push(...r.violations);
        }
      } else {
        const r = quorumLoss(ks, await client.describeRing(ks, undefined, o), target, live, this.level);
        ranges += r.rangesChecked;
        violations.push(...r.violations);
      }
    }
    const down = view.rows.filter((r) => r.status !== 'U').map((r) => `${r.address}=${r.code}`);
    const ours = disrupted.ids.length ? `; taken down by this job: ${disrupted.ids.join(', ')}` : '';
    const seen = `seen from ${viewNode.id}; not up: ${down.length ? down.join(' ') : 'none'}${ours}`;
    if (violations.length === 0) {
      return {
        ok: true,
        detail: `taking ${ctx.node.id} (${target}) down keeps ${this.level} for all ${ranges} ranges it replicates in ${keyspaces.length} keyspaces${this.ignoreKeyspaces.length ? ` (ignoring ${this.ignoreKeyspaces.join(', ')})` : ''} (${seen})`,
      };
    }
    const shown = violations
      .slice(0, 3)
      .map(
        (v) =>
          `${v.keyspace}${v.table ? `.${v.table}` : ''} (${v.startToken},${v.endToken}] ${v.scope}: ${v.liveOthers} live of ${v.replicas} besides ${target}, need ${v.needed} (not live: ${v.notLive.join(', ') || 'none'})`,
      )
      .join('; ');
    return {
      ok: false,
      detail: `taking ${ctx.node.id} (${target}) down would break ${this.level} for ${violations.length} of ${ranges} ranges: ${shown}${violations.length > 3 ? '; ...' : ''} (${seen})`,
    };
  }
}

