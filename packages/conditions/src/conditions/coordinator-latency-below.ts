import { InvalidInputError, type ClusterCondition, type ClusterConditionContext, type ConditionResult } from '@scylla-cp/core';
import { clusterSeriesMatcher, formatLabels, promqlString, regexEscape } from '../node-series.js';
import { prometheus } from '../prometheus-service.js';
import { formatNumber, querySamples, type LabeledValue } from '../query-samples.js';

/** A coordinator operation whose latency summary is judged. */
export type CoordinatorOperation = 'read' | 'write';

/** Options of {@link CoordinatorLatencyBelow} (YAML: `quantile`, `max_ms`, `operations`). */
export interface CoordinatorLatencyBelowOptions {
  /** The summary quantile to read; Scylla exports 0.5, 0.95 and 0.99. @default 0.99 */
  quantile?: number;
  /** Highest acceptable latency in milliseconds (the metric is in microseconds). */
  maxMs: number;
  /** Which operations to judge. @default ['read', 'write'] */
  operations?: readonly CoordinatorOperation[];
}

/** The documented default of {@link CoordinatorLatencyBelowOptions.quantile}. */
export const DEFAULT_LATENCY_QUANTILE = 0.99;

/** The summary metric of one coordinator operation (values in microseconds). */
export function coordinatorLatencyMetric(op: CoordinatorOperation): string {
  return `scylla_storage_proxy_coordinator_${op}_latency_summary`;
}

/**
 * A regex matching a quantile label however it is written: Scylla prints
 * `0.990000`, scylla-monitoring relabels it to `0.99`; both match `0\.990*`.
 */
export function quantileLabelRegex(quantile: number): string {
  return `${regexEscape(String(quantile))}0*`;
}

/**
 * Cluster condition: the coordinator latency quantile of every series of the
 * cluster's nodes (each node, shard and scheduling group) is at most `maxMs`.
 * Reads `scylla_storage_proxy_coordinator_{read,write}_latency_summary`
 * (microseconds) at the given quantile, restricted to the inventory's nodes
 * (see {@link clusterSeriesMatcher}). A per-shard quantile cannot be merged
 * into a true cluster quantile, so the worst series is what is judged. `NaN`
 * values (no requests) are ignored; an operation without any series fails.
 *
 * Detail example: `p99 read: worst 12.5 ms <= 50 ms at {instance="10.0.0.1:9180",
 * scheduling_group_name="statement",shard="3"} (24 series); p99 write: worst 80.2 ms > 50 ms at {...} (24 series)`.
 */
export class CoordinatorLatencyBelow implements ClusterCondition {
  readonly scope = 'cluster' as const;
  readonly quantile: number;
  readonly maxMs: number;
  readonly operations: readonly CoordinatorOperation[];

  constructor(options: CoordinatorLatencyBelowOptions) {
    this.quantile = options.quantile ?? DEFAULT_LATENCY_QUANTILE;
    if (!(this.quantile > 0 && this.quantile < 1)) {
      throw new InvalidInputError(`coordinator-latency-below: quantile must be in (0, 1), e.g. 0.99, got ${this.quantile}`);
    }
    if (!Number.isFinite(options.maxMs) || options.maxMs <= 0) {
      throw new InvalidInputError(`coordinator-latency-below: max_ms must be a finite number > 0, got ${options.maxMs}`);
    }
    this.maxMs = options.maxMs;
    this.operations = Object.freeze([...new Set<CoordinatorOperation>(options.operations ?? ['read', 'write'])]);
    if (this.operations.length === 0) throw new InvalidInputError('coordinator-latency-below: operations must name read, write or both');
  }

  name(): string {
    return 'coordinator-latency-below';
  }

  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const client = prometheus(ctx);
    const names = this.operations.map(coordinatorLatencyMetric);
    const expr = `{__name__=~${promqlString(names.join('|'))},quantile=~${promqlString(quantileLabelRegex(this.quantile))},${clusterSeriesMatcher(ctx.inventory)}}`;
    const samples = await querySamples(client, expr, ctx.signal);
    const q = `p${formatNumber(this.quantile * 100)}`;
    let ok = true;
    const parts = this.operations.map((op) => {
      const mine = samples.filter((s) => s.metric.__name__ === coordinatorLatencyMetric(op));
      const valued = mine.filter((s) => !Number.isNaN(s.value));
      if (valued.length === 0) {
        ok = false;
        return `${q} ${op}: no ${mine.length > 0 ? 'non-NaN ' : ''}series of ${coordinatorLatencyMetric(op)} with quantile ${this.quantile} for the cluster's nodes (Scylla exports 0.5, 0.95, 0.99)`;
      }
      // Ties go to the smallest label set, so the detail is stable from poll to poll.
      const worst = valued.reduce<LabeledValue>(
        (a, s) => (s.value > a.value || (s.value === a.value && formatLabels(s.metric) < formatLabels(a.metric)) ? s : a),
        valued[0]!,
      );
      const worstMs = worst.value / 1000;
      const good = worstMs <= this.maxMs;
      ok &&= good;
      const nan = mine.length - valued.length;
      const over = valued.filter((s) => s.value / 1000 > this.maxMs).sort((a, b) => b.value - a.value);
      const overPart =
        over.length > 1
          ? `; ${over.length} series over: ${over
              .slice(0, 5)
              .map((s) => `${formatLabels(s.metric, ['quantile'])} ${formatNumber(s.value / 1000)} ms`)
              .join(', ')}${over.length > 5 ? `, ${over.length - 5} more` : ''}`
          : '';
      return (
        `${q} ${op}: worst ${formatNumber(worstMs)} ms ${good ? '<=' : '>'} ${formatNumber(this.maxMs)} ms at ` +
        `${formatLabels(worst.metric, ['quantile'])} (${valued.length} series${nan > 0 ? `, ${nan} NaN ignored` : ''}${overPart})`
      );
    });
    return { ok, detail: parts.join('; ') };
  }
}
