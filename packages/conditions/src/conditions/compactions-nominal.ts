import { InvalidInputError, type ConditionResult, type NodeCondition, type NodeConditionContext } from '@scylla-cp/core';
import { nodeSeries } from '../node-series.js';
import { prometheus } from '../prometheus-service.js';
import { formatNumber, querySamples, type LabeledValue } from '../query-samples.js';

/** The metric counting compaction tasks waiting to run, per shard. */
export const PENDING_COMPACTIONS_METRIC = 'scylla_compaction_manager_pending_compactions';
/** The metric counting compactions running now, per shard. */
export const RUNNING_COMPACTIONS_METRIC = 'scylla_compaction_manager_compactions';

/** Options of {@link CompactionsNominal} (YAML: `max_pending`, `max_running`). */
export interface CompactionsNominalOptions {
  /** Highest acceptable pending compactions, summed over shards. @default 10 */
  maxPending?: number;
  /**
   * Highest acceptable running compactions, summed over shards.
   * @default the node's shard count (as many series as it reports: one running compaction per shard)
   */
  maxRunning?: number;
}

/** The documented default of {@link CompactionsNominalOptions.maxPending}. */
export const DEFAULT_MAX_PENDING_COMPACTIONS = 10;

function shardKey(metric: Readonly<Record<string, string>>): string {
  return metric.shard ?? '?';
}

/**
 * Lists per-shard values, listing zeros last as a count to keep the detail short:
 * `shard 0: 30, shard 1: 12, 14 more shards: 0`.
 */
export function formatShardValues(samples: readonly LabeledValue[]): string {
  const sorted = [...samples].sort((a, b) => {
    const x = Number(shardKey(a.metric));
    const y = Number(shardKey(b.metric));
    return Number.isNaN(x) || Number.isNaN(y) ? shardKey(a.metric).localeCompare(shardKey(b.metric)) : x - y;
  });
  const nonZero = sorted.filter((s) => s.value !== 0);
  const zeros = sorted.length - nonZero.length;
  const parts = nonZero.map((s) => `shard ${shardKey(s.metric)}: ${formatNumber(s.value)}`);
  if (zeros > 0) parts.push(nonZero.length === 0 ? `all ${zeros} shards: 0` : `${zeros} more shard${zeros === 1 ? '' : 's'}: 0`);
  return parts.join(', ');
}

function checkNonNegative(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
    throw new InvalidInputError(`compactions-nominal: ${name} must be a finite number >= 0, got ${v}`);
  }
}

/**
 * Node condition: the node's compaction backlog is back to normal. Holds when
 * `scylla_compaction_manager_pending_compactions` summed over the node's
 * shards is `<= maxPending` and `scylla_compaction_manager_compactions` summed
 * over shards is `<= maxRunning`. Fails (without throwing) when Prometheus has
 * no current series for the node, e.g. right after a restart before the next
 * scrape. One instant query per check, selecting the node by {@link nodeSeries}.
 *
 * Detail example: `pending 42 > max 10 (shard 0: 30, shard 1: 12); running 2 <= max 2
 * (shard 0: 1, shard 1: 1) for instance="10.0.0.1:9180"`.
 */
export class CompactionsNominal implements NodeCondition {
  readonly scope = 'node' as const;
  readonly maxPending: number;
  readonly maxRunning: number | undefined;

  constructor(options: CompactionsNominalOptions = {}) {
    checkNonNegative('maxPending', options.maxPending);
    checkNonNegative('maxRunning', options.maxRunning);
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_COMPACTIONS;
    this.maxRunning = options.maxRunning;
  }

  name(): string {
    return 'compactions-nominal';
  }

  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const series = nodeSeries(ctx.inventory, ctx.node);
    const client = prometheus(ctx);
    const expr = `{__name__=~"${PENDING_COMPACTIONS_METRIC}|${RUNNING_COMPACTIONS_METRIC}",${series.matcher}}`;
    const samples = await querySamples(client, expr, ctx.signal);
    const pending = samples.filter((s) => s.metric.__name__ === PENDING_COMPACTIONS_METRIC);
    const running = samples.filter((s) => s.metric.__name__ === RUNNING_COMPACTIONS_METRIC);
    const missing = [pending.length === 0 && PENDING_COMPACTIONS_METRIC, running.length === 0 && RUNNING_COMPACTIONS_METRIC].filter(Boolean);
    if (missing.length > 0) {
      return {
        ok: false,
        detail:
          `Prometheus at ${client.url} has no current ${missing.join(' or ')} series for ${series.matcher} ` +
          `(node ${ctx.node.id} down or not scraped yet, or a wrong node mapping: see connection.prometheus_target / instance_format)`,
      };
    }
    const pendingSum = pending.reduce((a, s) => a + s.value, 0);
    const runningSum = running.reduce((a, s) => a + s.value, 0);
    const maxRunning = this.maxRunning ?? running.length;
    const pendingOk = pendingSum <= this.maxPending;
    const runningOk = runningSum <= maxRunning;
    const runningMax = this.maxRunning === undefined ? `${maxRunning} (1 per shard)` : `${maxRunning}`;
    const detail =
      `pending ${formatNumber(pendingSum)} ${pendingOk ? '<=' : '>'} max ${this.maxPending} (${formatShardValues(pending)}); ` +
      `running ${formatNumber(runningSum)} ${runningOk ? '<=' : '>'} max ${runningMax} (${formatShardValues(running)}) for ${series.matcher}`;
    return { ok: pendingOk && runningOk, detail };
  }
}
