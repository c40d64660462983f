import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { formatLabels, nodeSeries } from '../node-series.js';
import { prometheus } from '../prometheus-service.js';
import { formatNumber, querySamples } from '../query-samples.js';

/** The metric holding the node's operation mode (registered on shard 0 only). */
export const NODE_OPERATION_MODE_METRIC = 'scylla_node_operation_mode';

/** `scylla_node_operation_mode` value of a node in normal operation. */
export const OPERATION_MODE_NORMAL = 3;

/** Names of the `scylla_node_operation_mode` values, by value (Scylla's `map_operation_mode`). */
export const OPERATION_MODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'UNKNOWN',
  1: 'STARTING',
  2: 'JOINING',
  3: 'NORMAL',
  4: 'LEAVING',
  5: 'DECOMMISSIONED',
  6: 'DRAINING',
  7: 'DRAINED',
  8: 'MOVING',
  9: 'MAINTENANCE',
});

/** `7 (DRAINED)`; unknown values as the bare number. */
export function formatOperationMode(value: number): string {
  const name = OPERATION_MODE_NAMES[value];
  return name ? `${formatNumber(value)} (${name})` : formatNumber(value);
}

/**
 * Node condition: `scylla_node_operation_mode` is 3 (NORMAL) for the node.
 * Every series found for the node must be 3; no series fails (node down or
 * not scraped yet).
 *
 * Detail examples: `operation mode 3 (NORMAL) for instance="10.0.0.1:9180"`,
 * `operation mode 7 (DRAINED), want 3 (NORMAL), for instance="10.0.0.1:9180"`.
 */
export class NodeOperationModeNormal implements NodeCondition {
  readonly scope = 'node' as const;

  name(): string {
    return 'node-operation-mode-normal';
  }

  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const series = nodeSeries(ctx.inventory, ctx.node);
    const client = prometheus(ctx);
    const samples = await querySamples(client, `${NODE_OPERATION_MODE_METRIC}{${series.matcher}}`, ctx.signal);
    if (samples.length === 0) {
      return {
        ok: false,
        detail: `Prometheus at ${client.url} has no current ${NODE_OPERATION_MODE_METRIC} series for ${series.matcher} (node ${ctx.node.id} down or not scraped yet, or a wrong node mapping)`,
      };
    }
    const ok = samples.every((s) => s.value === OPERATION_MODE_NORMAL);
    const values = [...new Set(samples.map((s) => s.value))];
    const where =
      samples.length === 1
        ? `for ${series.matcher}`
        : `for ${series.matcher} (${samples.map((s) => `${formatLabels(s.metric, [series.label])} ${formatOperationMode(s.value)}`).join(', ')})`;
    const seen = values.map(formatOperationMode).join(' / ');
    return {
      ok,
      detail: ok ? `operation mode ${seen} ${where}` : `operation mode ${seen}, want ${formatOperationMode(OPERATION_MODE_NORMAL)}, ${where}`,
    };
  }
}
