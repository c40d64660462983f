import type { ScyllaTokenRange } from '../client/scylla-client-routes.js';

/** Which quorum {@link quorumLoss} protects. */
export type QuorumLevel = 'quorum' | 'local_quorum';

/** One token range that would drop below quorum. */
export interface QuorumViolation {
  keyspace: string;
  /** The table, for tablets keyspaces. */
  table?: string;
  startToken: string;
  endToken: string;
  /** `quorum` (all replicas) or the datacenter whose local quorum is lost. */
  scope: string;
  /** Replicas in that scope. */
  replicas: number;
  /** Replicas in that scope, other than the target, that are live. */
  liveOthers: number;
  /** `floor(replicas / 2) + 1`. */
  needed: number;
  /** Replicas in that scope (other than the target) that are not live. */
  notLive: string[];
}

/** `floor(rf / 2) + 1`. */
export function quorumOf(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

/**
 * The ranges replicated by `target` that would fall below quorum if `target` went down.
 * For each range whose `endpoints` include `target`: the replicas other than `target` that are
 * in `live` must number at least `quorumOf(replicas)`; with `local_quorum`, the same must also
 * hold within `target`'s datacenter (from `endpoint_details`; ranges without details are
 * checked for `quorum` only). Pure; `live` holds the addresses with status U.
 */
export function quorumLoss(
  keyspace: string,
  ranges: readonly ScyllaTokenRange[],
  target: string,
  live: ReadonlySet<string>,
  level: QuorumLevel,
  table?: string,
): { rangesChecked: number; violations: QuorumViolation[] } {
  const violations: QuorumViolation[] = [];
  let rangesChecked = 0;
  for (const r of ranges) {
    if (!r.endpoints.includes(target)) continue;
    rangesChecked++;
    const check = (scope: string, replicas: readonly string[]) => {
      const others = replicas.filter((e) => e !== target);
      const liveOthers = others.filter((e) => live.has(e)).length;
      const needed = quorumOf(replicas.length);
      if (liveOthers < needed) {
        violations.push({
          keyspace,
          ...(table !== undefined ? { table } : {}),
          startToken: r.startToken,
          endToken: r.endToken,
          scope,
          replicas: replicas.length,
          liveOthers,
          needed,
          notLive: others.filter((e) => !live.has(e)),
        });
      }
    };
    check('quorum', r.endpoints);
    if (level === 'local_quorum') {
      const dcOf = new Map(r.endpointDetails.map((d) => [d.host, d.datacenter]));
      const dc = dcOf.get(target);
      const local = r.endpoints.filter((e) => dcOf.get(e) === dc);
      // in a single-DC ring the local check repeats the global one: skip it
      if (dc !== undefined && local.length < r.endpoints.length) check(`local_quorum in ${dc}`, local);
    }
  }
  return { rangesChecked, violations };
}
