import { PrometheusError } from './prometheus-error.js';
import type { PrometheusApi } from './prometheus-client.js';
import type { SeriesLabels } from './prometheus-result.js';

/** One value a condition judges: a series' labels and one of its values. */
export interface LabeledValue {
  metric: SeriesLabels;
  value: number;
  /** Seconds since the Unix epoch. */
  timestampSeconds: number;
}

/**
 * Runs an instant query and flattens the result to labeled values: a vector's
 * samples; a scalar as one value with no labels; every sample of every series
 * of a matrix (a range-selector query such as `foo[1m]`).
 * @throws PrometheusError as the client does, and `unexpected_response`
 *   (unrecoverable) when the query returns a string.
 */
export async function querySamples(client: PrometheusApi, expr: string, signal?: AbortSignal): Promise<LabeledValue[]> {
  const r = await client.query(expr, signal ? { signal } : {});
  switch (r.resultType) {
    case 'vector':
      return r.result.map((s) => ({ metric: s.metric, value: s.value, timestampSeconds: s.timestampSeconds }));
    case 'scalar':
      return [{ metric: {}, value: r.result.value, timestampSeconds: r.result.timestampSeconds }];
    case 'matrix':
      return r.result.flatMap((series) => series.values.map((s) => ({ metric: series.metric, ...s })));
    case 'string':
      throw PrometheusError.create(`query returned a string (${JSON.stringify(r.result.value)}), not numbers: ${expr}`, {
        errorType: 'unexpected_response',
        endpoint: `${client.url}/api/v1/query`,
        query: expr,
      });
  }
}

/** Formats a number for details: integers as is, others with up to 3 decimals. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}
