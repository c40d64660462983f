import { RecoverableError, UnrecoverableError } from '@scylla-cp/core';
import { Agent, request, type Dispatcher } from 'undici';
import { formatAlertMatcher, type AlertMatcher } from './alertmanager-matchers.js';

/** An alert as Alertmanager API v2 lists it (`GET /api/v2/alerts`), the fields conditions read. */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ISO time the alert started firing. */
  startsAt: string;
  fingerprint: string;
  /** `active`, `suppressed` (silenced or inhibited) or `unprocessed`. */
  state: string;
  /** Ids of the silences that mute it. */
  silencedBy: string[];
  /** Fingerprints of the alerts that inhibit it. */
  inhibitedBy: string[];
  /** Receivers it is routed to. */
  receivers: string[];
}

/** What `GET /api/v2/alerts` is asked for. */
export interface AlertsQuery {
  /** All must match (sent as `filter=`). */
  matchers?: readonly AlertMatcher[];
  /** Regex of receiver names (`receiver=`). */
  receiver?: string;
  /** Include silenced alerts. @default false */
  silenced?: boolean;
  /** Include inhibited alerts. @default false */
  inhibited?: boolean;
  signal?: AbortSignal;
}

/** What the alert conditions need of an Alertmanager: the firing alerts. */
export interface AlertmanagerApi {
  readonly url: string;
  /** Active (not resolved) alerts matching the query. */
  alerts(query?: AlertsQuery): Promise<AlertmanagerAlert[]>;
}

/** Options of {@link AlertmanagerClient}. */
export interface AlertmanagerClientOptions {
  /** Base URL, with any path prefix: `http://alertmanager:9093`. */
  url: string;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
  /** Seconds a request may take. @default 10 */
  timeoutSeconds?: number;
  /** Seconds to wait for the connection. @default 5 */
  connectTimeoutSeconds?: number;
  headers?: Record<string, string>;
  /** @default a private `Agent`, closed by {@link AlertmanagerClient.close} */
  dispatcher?: Dispatcher;
}

/**
 * A small client of the Alertmanager API v2 over undici. A connection
 * failure, a timeout or an HTTP 5xx is a `RecoverableError` (a failed poll
 * for a condition); any other HTTP error (a 400 for a bad filter, a 401) is
 * an `UnrecoverableError`, since waiting will not fix it.
 */
export class AlertmanagerClient implements AlertmanagerApi {
  readonly url: string;
  readonly #dispatcher: Dispatcher;
  readonly #owns: boolean;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(options: AlertmanagerClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#timeoutMs = (options.timeoutSeconds ?? 10) * 1000;
    this.#owns = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ connect: { timeout: (options.connectTimeoutSeconds ?? 5) * 1000 } });
    this.#headers = { accept: 'application/json', ...(options.headers ?? {}) };
    if (options.basicAuth) this.#headers.authorization = `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
    if (options.bearerToken) this.#headers.authorization = `Bearer ${options.bearerToken}`;
  }

  async alerts(query: AlertsQuery = {}): Promise<AlertmanagerAlert[]> {
    const params = new URLSearchParams();
    params.set('active', 'true');
    params.set('silenced', String(query.silenced ?? false));
    params.set('inhibited', String(query.inhibited ?? false));
    params.set('unprocessed', 'true');
    for (const m of query.matchers ?? []) params.append('filter', formatAlertMatcher(m));
    if (query.receiver !== undefined) params.set('receiver', query.receiver);
    const endpoint = `${this.url}/api/v2/alerts?${params.toString()}`;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = query.signal ? AbortSignal.any([query.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    try {
      const res = await request(endpoint, { method: 'GET', headers: this.#headers, signal, dispatcher: this.#dispatcher });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      if (query.signal?.aborted) throw query.signal.reason;
      const why = timeout.aborted ? `no answer within ${this.#timeoutMs / 1000} s` : (e as Error).message;
      throw new RecoverableError(`Alertmanager ${this.url} unreachable: ${why}`, { code: 'ALERTMANAGER_UNREACHABLE', cause: e });
    }
    if (status >= 500 || status === 429) {
      throw new RecoverableError(`Alertmanager ${this.url} answered HTTP ${status}: ${text.slice(0, 200)}`, { code: 'ALERTMANAGER_UNAVAILABLE' });
    }
    if (status !== 200) {
      throw new UnrecoverableError(`Alertmanager ${this.url} refused the alerts query (HTTP ${status}): ${text.slice(0, 200)}`, { code: 'ALERTMANAGER_REFUSED' });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UnrecoverableError(`Alertmanager ${this.url} sent a body that is not JSON: ${text.slice(0, 200)}`, { code: 'ALERTMANAGER_BAD_REPLY' });
    }
    if (!Array.isArray(body)) throw new UnrecoverableError(`Alertmanager ${this.url}: expected a list of alerts, got ${text.slice(0, 200)}`, { code: 'ALERTMANAGER_BAD_REPLY' });
    return body.map((a: Record<string, unknown>) => {
      const st = (a.status ?? {}) as { state?: unknown; silencedBy?: unknown; inhibitedBy?: unknown };
      return {
        labels: (a.labels ?? {}) as Record<string, string>,
        annotations: (a.annotations ?? {}) as Record<string, string>,
        startsAt: String(a.startsAt ?? ''),
        fingerprint: String(a.fingerprint ?? ''),
        state: String(st.state ?? 'unknown'),
        silencedBy: Array.isArray(st.silencedBy) ? st.silencedBy.map(String) : [],
        inhibitedBy: Array.isArray(st.inhibitedBy) ? st.inhibitedBy.map(String) : [],
        receivers: Array.isArray(a.receivers) ? a.receivers.map((r: { name?: unknown }) => String(r?.name ?? '')) : [],
      };
    });
  }

  /** Closes the private connection pool. */
  async close(): Promise<void> {
    if (this.#owns) await this.#dispatcher.close();
  }
}
