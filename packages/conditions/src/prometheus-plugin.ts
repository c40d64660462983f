import { definePlugin, type ConditionDefinition, type ScyllaCpPlugin } from '@scylla-cp/core';
import { z } from 'zod';
import { parseAlertMatcher } from './alertmanager-matchers.js';
import { alertmanagerServiceProvider, alertmanagerSettingsSchema } from './alertmanager-service.js';
import { COMPARATORS, type Comparator } from './comparator.js';
import { AlertsSilent } from './conditions/alerts-silent.js';
import { CompactionsNominal } from './conditions/compactions-nominal.js';
import { CoordinatorLatencyBelow, DEFAULT_LATENCY_QUANTILE } from './conditions/coordinator-latency-below.js';
import { NodeOperationModeNormal } from './conditions/node-operation-mode-normal.js';
import { PrometheusClusterQueryCondition, PrometheusQueryCondition } from './conditions/prometheus-query.js';
import { prometheusServiceProvider } from './prometheus-service.js';
import { prometheusSettingsSchema } from './prometheus-settings.js';
import { CONDITIONS_VERSION } from './version.js';

const count = z.number().int().nonnegative();

/** Parameters of `!compactions-nominal`. */
export const compactionsNominalParams = z
  .object({
    /** Highest acceptable pending compactions summed over shards. @default 10 */
    max_pending: count.optional(),
    /** Highest acceptable running compactions summed over shards. @default the node's shard count */
    max_running: count.optional(),
  })
  .strict();

/** Parameters of `!prometheus-query` and `!prometheus-cluster-query`. */
export const prometheusQueryParams = z
  .object({
    query: z.string().trim().min(1),
    comparator: z.enum(COMPARATORS as [Comparator, ...Comparator[]]),
    threshold: z.number(),
    empty: z.enum(['pass', 'fail']).default('fail'),
  })
  .strict();

/** Parameters of `!node-operation-mode-normal` (none). */
export const nodeOperationModeNormalParams = z.object({}).strict();

/** Parameters of `!coordinator-latency-below`. */
export const coordinatorLatencyBelowParams = z
  .object({
    quantile: z.number().gt(0).lt(1).default(DEFAULT_LATENCY_QUANTILE),
    max_ms: z.number().positive(),
    operations: z.array(z.enum(['read', 'write'])).min(1).default(['read', 'write']),
  })
  .strict();

/** Parameters of `!alerts-silent`. */
export const alertsSilentParams = z
  .object({
    /** Alertmanager matchers, all of which an alert must match to count (`alertname="ScyllaDown"`, `severity=~"critical|page"`). */
    matchers: z
      .array(
        z.string().transform((text, ctx) => {
          const m = parseAlertMatcher(text);
          if (typeof m === 'string') {
            ctx.addIssue({ code: 'custom', message: m });
            return z.NEVER;
          }
          return m;
        }),
      )
      .default([]),
    /** Regex of receiver names: only alerts routed there count. */
    receiver: z.string().min(1).optional(),
    /** Count silenced alerts too. @default false */
    include_silenced: z.boolean().default(false),
    /** Count inhibited alerts too. @default false */
    include_inhibited: z.boolean().default(false),
  })
  .strict();

const conditions: Record<string, ConditionDefinition> = {
  'alerts-silent': {
    scope: 'cluster',
    description:
      'No alert matching matchers (Alertmanager syntax; optional receiver regex) is firing in the Alertmanager of connection.alertmanager; silenced and inhibited alerts count only with include_silenced / include_inhibited.',
    params: alertsSilentParams,
    create: (p: z.output<typeof alertsSilentParams>) =>
      new AlertsSilent({
        matchers: p.matchers,
        ...(p.receiver !== undefined ? { receiver: p.receiver } : {}),
        includeSilenced: p.include_silenced,
        includeInhibited: p.include_inhibited,
      }),
  },
  'compactions-nominal': {
    scope: 'node',
    description: "The node's pending (summed over shards) and running compactions are at or below max_pending (default 10) and max_running (default: shard count).",
    params: compactionsNominalParams,
    create: (p: z.output<typeof compactionsNominalParams>) => new CompactionsNominal({ maxPending: p.max_pending, maxRunning: p.max_running }),
  },
  'prometheus-query': {
    scope: 'node',
    description: 'Every value a PromQL query returns (with {instance}, {address}, {dc}, {rack} placeholders) satisfies comparator threshold; empty: pass|fail (default fail).',
    params: prometheusQueryParams,
    create: (p: z.output<typeof prometheusQueryParams>) => new PrometheusQueryCondition(p),
  },
  'prometheus-cluster-query': {
    scope: 'cluster',
    description: 'Cluster-scoped prometheus-query: every value satisfies comparator threshold ({cluster}, {instances} placeholders).',
    params: prometheusQueryParams,
    create: (p: z.output<typeof prometheusQueryParams>) => new PrometheusClusterQueryCondition(p),
  },
  'node-operation-mode-normal': {
    scope: 'node',
    description: "The node's scylla_node_operation_mode is 3 (NORMAL).",
    params: nodeOperationModeNormalParams,
    create: () => new NodeOperationModeNormal(),
  },
  'coordinator-latency-below': {
    scope: 'cluster',
    description: "Every node's coordinator read/write latency at the quantile (default 0.99) is at most max_ms milliseconds.",
    params: coordinatorLatencyBelowParams,
    create: (p: z.output<typeof coordinatorLatencyBelowParams>) =>
      new CoordinatorLatencyBelow({ quantile: p.quantile, maxMs: p.max_ms, operations: p.operations }),
  },
};

/**
 * The plugin of this package: the conditions `compactions-nominal`,
 * `prometheus-query`, `prometheus-cluster-query`, `node-operation-mode-normal`
 * and `coordinator-latency-below`, and the default provider of
 * {@link PrometheusService} (reads `connection.prometheus` of the inventory).
 *
 * ```ts
 * const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, prometheusPlugin);
 * ```
 */
export const prometheusPlugin: ScyllaCpPlugin = definePlugin({
  name: '@scylla-cp/conditions',
  version: CONDITIONS_VERSION,
  conditions,
  services: [prometheusServiceProvider(), alertmanagerServiceProvider()],
  // Validated by plan(): a bad URL setting or a misspelt key fails before the job starts.
  connectionSettings: { prometheus: prometheusSettingsSchema, alertmanager: alertmanagerSettingsSchema },
});
