import type { ClusterCondition, ClusterConditionContext, ConditionResult } from '@scylla-cp/core';
import type { AlertMatcher } from '../alertmanager-matchers.js';
import { formatAlertMatcher } from '../alertmanager-matchers.js';
import { alertmanager } from '../alertmanager-service.js';

/** Options of {@link AlertsSilent} (YAML: `matchers`, `receiver`, `include_silenced`, `include_inhibited`). */
export interface AlertsSilentOptions {
  /** All must match for an alert to count. @default none: every alert counts */
  matchers: AlertMatcher[];
  /** Only alerts routed to receivers matching this regex count. @default every receiver */
  receiver?: string;
  /** Count silenced alerts too. @default false: an operator's silence lets the job go on */
  includeSilenced?: boolean;
  /** Count inhibited alerts too. @default false */
  includeInhibited?: boolean;
}

/** At most this many alerts are named in a detail. */
const SHOWN = 5;

/**
 * Cluster condition `alerts-silent`: no alert matching the matchers is
 * firing in Alertmanager (API v2, `GET /api/v2/alerts?active=true`). Holds
 * a job while a matching alert fires (like kured's alert gate); silenced and
 * inhibited alerts do not count unless asked. An unreachable Alertmanager is
 * a failed poll (never "silent"), so the job waits rather than runs blind.
 *
 * Detail: `2 alerts firing: ScyllaCompactionBacklog{instance="10.0.0.1:9180"} since 12:00:01Z, ...`.
 */
export class AlertsSilent implements ClusterCondition {
  readonly scope = 'cluster' as const;
  constructor(private readonly options: AlertsSilentOptions) {}
  name(): string {
    return 'alerts-silent';
  }
  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const am = alertmanager(ctx);
    const alerts = await am.alerts({
      matchers: this.options.matchers,
      ...(this.options.receiver !== undefined ? { receiver: this.options.receiver } : {}),
      silenced: this.options.includeSilenced ?? false,
      inhibited: this.options.includeInhibited ?? false,
      signal: ctx.signal,
    });
    const what = this.options.matchers.length > 0 ? ` matching ${this.options.matchers.map(formatAlertMatcher).join(', ')}` : '';
    const to = this.options.receiver !== undefined ? ` routed to ${this.options.receiver}` : '';
    if (alerts.length === 0) return { ok: true, detail: `no alert${what}${to} firing (${am.url})` };
    const shown = alerts
      .slice()
      .sort((a, b) => (a.startsAt < b.startsAt ? -1 : a.startsAt > b.startsAt ? 1 : 0))
      .slice(0, SHOWN)
      .map((a) => {
        const { alertname, ...rest } = a.labels;
        const labels = Object.entries(rest)
          .filter(([k]) => k === 'instance' || k === 'severity' || k === 'node')
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',');
        return `${alertname ?? '(no alertname)'}${labels ? `{${labels}}` : ''} since ${a.startsAt}${a.state === 'suppressed' ? ' (silenced)' : ''}`;
      });
    const more = alerts.length > SHOWN ? `, and ${alerts.length - SHOWN} more` : '';
    return { ok: false, detail: `${alerts.length} alert${alerts.length === 1 ? '' : 's'}${what}${to} firing: ${shown.join('; ')}${more}` };
  }
}
