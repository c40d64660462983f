import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseExposition, type ExpositionSample } from './exposition-parser.js';
import { matchesSelector, parseSelector, PromqlSubsetError } from './promql-selector.js';

/** One scrape target of the simulated Prometheus. */
export interface SimScrapeTarget {
  /** The `instance` label given to its series (e.g. `127.0.0.1:40123`). */
  instance: string;
  /** Returns the target's current metrics text, or `undefined` when it is down (no series). */
  scrape(): string | undefined | Promise<string | undefined>;
}

/** Options of {@link SimPrometheus}. */
export interface SimPrometheusOptions {
  /** The `job` label of every series. @default 'scylla' */
  job?: string;
  /** Current time in ms (the simulator's clock); the `time` of query results. */
  now: () => number;
}

/**
 * A stand-in for a Prometheus server that evaluates the PromQL subset the
 * built-in conditions use (instant vector selectors with `=`, `!=`, `=~`,
 * `!~` matchers) by scraping its targets at query time. It serves
 * `GET|POST /api/v1/query` with Prometheus' JSON envelope, `/-/ready`, and
 * answers `bad_data` (HTTP 400) for anything outside the subset. Used by the
 * demo and tests so the canonical workflow's `!compactions-nominal` runs
 * through the real Prometheus client without a Prometheus binary. For the real
 * thing, point `connection.prometheus.url` at a real Prometheus.
 */
export class SimPrometheus {
  readonly #targets: SimScrapeTarget[];
  readonly #job: string;
  readonly #now: () => number;
  #server: http.Server | undefined;

  constructor(targets: SimScrapeTarget[], options: SimPrometheusOptions) {
    this.#targets = targets;
    this.#job = options.job ?? 'scylla';
    this.#now = options.now;
  }

  /** Evaluates a selector now. @throws PromqlSubsetError outside the subset */
  async query(expr: string): Promise<ExpositionSample[]> {
    const matchers = parseSelector(expr);
    const out: ExpositionSample[] = [];
    for (const t of this.#targets) {
      const text = await t.scrape();
      if (text === undefined) continue;
      for (const s of parseExposition(text)) {
        const labels = { ...s.labels, instance: t.instance, job: this.#job };
        if (matchesSelector(labels, matchers)) out.push({ labels, value: s.value });
      }
    }
    return out;
  }

  /** Starts the HTTP API on 127.0.0.1 (ephemeral port unless given); returns its base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => {
      void this.#handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    return this.url!;
  }

  /** The base URL once listening. */
  get url(): string | undefined {
    const a = this.#server?.address() as AddressInfo | null | undefined;
    return a ? `http://${a.address}:${a.port}` : undefined;
  }

  /** Stops the HTTP API. */
  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/-/ready' || url.pathname === '/-/healthy') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Prometheus Server is Ready.\n');
      return;
    }
    if (url.pathname !== '/api/v1/query') {
      send(404, { status: 'error', errorType: 'not_found', error: `the simulated Prometheus serves only /api/v1/query, not ${url.pathname}` });
      return;
    }
    let params = url.searchParams;
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      params = new URLSearchParams(body);
    }
    const expr = params.get('query');
    if (!expr) {
      send(400, { status: 'error', errorType: 'bad_data', error: 'missing required parameter "query"' });
      return;
    }
    try {
      const samples = await this.query(expr);
      const t = this.#now() / 1000;
      send(200, {
        status: 'success',
        data: { resultType: 'vector', result: samples.map((s) => ({ metric: s.labels, value: [t, formatValue(s.value)] })) },
      });
    } catch (e) {
      const bad = e instanceof PromqlSubsetError;
      send(bad ? 400 : 500, { status: 'error', errorType: bad ? 'bad_data' : 'internal', error: (e as Error).message });
    }
  }
}

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
