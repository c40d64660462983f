import type {
  ClusterCondition,
  ClusterConditionContext,
  ConditionResult,
  NodeCondition,
  NodeConditionContext,
} from '@scylla-cp/core';
import { InvalidInputError } from '@scylla-cp/core';
import { compare, COMPARATORS, type Comparator } from '../comparator.js';
import { formatLabels, nodeSeries, regexEscape } from '../node-series.js';
import type { PrometheusApi } from '../prometheus-client.js';
import { prometheus } from '../prometheus-service.js';
import { formatNumber, querySamples, type LabeledValue } from '../query-samples.js';

/** What a query that returns no series means. */
export type EmptyResultPolicy = 'pass' | 'fail';

/** Options of {@link PrometheusQueryCondition} and {@link PrometheusClusterQueryCondition}. */
export interface PrometheusQueryOptions {
  /** PromQL, with placeholders (see {@link expandQueryPlaceholders}). */
  query: string;
  /** How each value is compared with `threshold`. */
  comparator: Comparator;
  /** The number each value is compared with. */
  threshold: number;
  /** Whether a query returning no series passes or fails. @default 'fail' */
  empty?: EmptyResultPolicy;
}

/** Series listed in a detail; the rest are counted. */
const MAX_LISTED = 10;

/**
 * Replaces `{name}` placeholders in `query` by `values[name]`; names not in
 * `values` are left alone (PromQL never uses a bare `{word}`). Values are
 * escaped for use inside a double-quoted PromQL string, where placeholders
 * belong: `up{instance="{instance}"}`, `up{instance=~"{instances}"}`.
 */
export function expandQueryPlaceholders(query: string, values: Readonly<Record<string, string>>): string {
  return query.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const v = values[name];
    return v === undefined ? whole : v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  });
}

function clusterPlaceholders(ctx: ClusterConditionContext, query: string): Record<string, string> {
  const values: Record<string, string> = { cluster: ctx.inventory.name };
  // Computed only when used: it maps every node of the inventory.
  if (query.includes('{instances}')) {
    const escaped = ctx.inventory.nodes.map((n) => regexEscape(nodeSeries(ctx.inventory, n).value));
    values.instances = [...new Set(escaped)].sort().join('|');
  }
  return values;
}

function validate(options: PrometheusQueryOptions, tag: string): void {
  if (typeof options.query !== 'string' || options.query.trim() === '') throw new InvalidInputError(`${tag}: query must be a non-empty PromQL string`);
  if (!COMPARATORS.includes(options.comparator)) {
    throw new InvalidInputError(`${tag}: comparator must be one of ${COMPARATORS.join(' ')}, got ${JSON.stringify(options.comparator)}`);
  }
  if (typeof options.threshold !== 'number' || Number.isNaN(options.threshold)) {
    throw new InvalidInputError(`${tag}: threshold must be a number, got ${JSON.stringify(options.threshold)}`);
  }
  if (options.empty !== undefined && options.empty !== 'pass' && options.empty !== 'fail') {
    throw new InvalidInputError(`${tag}: empty must be "pass" or "fail", got ${JSON.stringify(options.empty)}`);
  }
}

/**
 * Judges query results: every value must satisfy `comparator threshold`;
 * an empty result passes or fails by `empty`. The detail lists failing
 * series first, then passing ones, up to 10, and counts the rest.
 */
export function judgeSamples(
  samples: readonly LabeledValue[],
  options: Required<Pick<PrometheusQueryOptions, 'comparator' | 'threshold' | 'empty'>>,
  expr: string,
): ConditionResult {
  const want = `${options.comparator} ${formatNumber(options.threshold)}`;
  if (samples.length === 0) {
    return { ok: options.empty === 'pass', detail: `query returned no series (empty: ${options.empty}): ${expr}` };
  }
  const failing = samples.filter((s) => !compare(s.value, options.comparator, options.threshold));
  const passing = samples.filter((s) => compare(s.value, options.comparator, options.threshold));
  const show = (list: readonly LabeledValue[], room: number) => {
    const shown = list.slice(0, Math.max(0, room)).map((s) => `${formatLabels(s.metric)} ${formatNumber(s.value)}`);
    if (list.length > shown.length) shown.push(`${list.length - shown.length} more`);
    return shown.join(', ');
  };
  const n = samples.length;
  if (failing.length === 0) {
    return { ok: true, detail: `all ${n} value${n === 1 ? '' : 's'} ${want}: ${show(passing, MAX_LISTED)}` };
  }
  const passPart = passing.length > 0 ? `; passing: ${show(passing, MAX_LISTED - failing.length)}` : '';
  return {
    ok: false,
    detail: `${failing.length} of ${n} value${n === 1 ? '' : 's'} not ${want}: ${show(failing, MAX_LISTED)}${passPart} (query: ${expr})`,
  };
}

async function run(client: PrometheusApi, expr: string, options: PrometheusQueryOptions, signal: AbortSignal): Promise<ConditionResult> {
  const samples = await querySamples(client, expr, signal);
  return judgeSamples(samples, { comparator: options.comparator, threshold: options.threshold, empty: options.empty ?? 'fail' }, expr);
}

/**
 * Node condition: a PromQL criterion. Runs `query` as an instant query and
 * holds when every returned value (every sample of a vector, the scalar,
 * every sample of every series of a matrix) satisfies `comparator threshold`.
 * A query returning no series passes only with `empty: 'pass'`.
 *
 * Placeholders: `{instance}` (the node's series label value, see
 * {@link nodeSeries}), `{address}`, `{id}`, `{dc}`, `{rack}`, `{zone}`,
 * `{cluster}` (inventory name) and `{instances}` (a regex matching every
 * node of the inventory).
 *
 * Detail example: `1 of 2 values not <= 10: {instance="10.0.0.1:9180",shard="1"} 12;
 * passing: {instance="10.0.0.1:9180",shard="0"} 3 (query: ...)`.
 */
export class PrometheusQueryCondition implements NodeCondition {
  readonly scope = 'node' as const;
  readonly options: Readonly<PrometheusQueryOptions>;

  constructor(options: PrometheusQueryOptions) {
    validate(options, 'prometheus-query');
    this.options = Object.freeze({ ...options });
  }

  name(): string {
    return 'prometheus-query';
  }

  /** The query with this node's placeholders filled in. */
  expand(ctx: NodeConditionContext): string {
    const { node } = ctx;
    return expandQueryPlaceholders(this.options.query, {
      ...clusterPlaceholders(ctx, this.options.query),
      instance: nodeSeries(ctx.inventory, node).value,
      address: node.address,
      id: node.id,
      dc: node.dc,
      rack: node.rack,
      zone: node.zone,
    });
  }

  check(ctx: NodeConditionContext): Promise<ConditionResult> {
    return run(prometheus(ctx), this.expand(ctx), this.options, ctx.signal);
  }
}

/**
 * Cluster condition: the same criterion as {@link PrometheusQueryCondition},
 * for cluster-scoped waits. Placeholders: `{cluster}` and `{instances}`.
 */
export class PrometheusClusterQueryCondition implements ClusterCondition {
  readonly scope = 'cluster' as const;
  readonly options: Readonly<PrometheusQueryOptions>;

  constructor(options: PrometheusQueryOptions) {
    validate(options, 'prometheus-cluster-query');
    this.options = Object.freeze({ ...options });
  }

  name(): string {
    return 'prometheus-cluster-query';
  }

  /** The query with the cluster's placeholders filled in. */
  expand(ctx: ClusterConditionContext): string {
    return expandQueryPlaceholders(this.options.query, clusterPlaceholders(ctx, this.options.query));
  }

  check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    return run(prometheus(ctx), this.expand(ctx), this.options, ctx.signal);
  }
}
