import { InvalidInputError } from '@scylla-cp/core';
import { Agent, request, type Dispatcher } from 'undici';
import { PrometheusError } from './prometheus-error.js';
import { decodeQueryData, QueryDecodeError, type QueryResult } from './prometheus-result.js';

/** Credentials for HTTP basic authentication. */
export interface BasicAuth {
  username: string;
  password: string;
}

/** Options of a {@link PrometheusClient}. */
export interface PrometheusClientOptions {
  /**
   * Base URL of the Prometheus server (or of a proxy in front of it), with any
   * path prefix: `http://prometheus:9090`, `https://mon.example/prometheus`.
   * Credentials in the URL (`http://user:pass@host`) are used as basic auth.
   */
  url: string;
  /** HTTP basic authentication. Mutually exclusive with `bearerToken`. */
  basicAuth?: BasicAuth;
  /** Sent as `Authorization: Bearer <token>`. Mutually exclusive with `basicAuth`. */
  bearerToken?: string;
  /**
   * Seconds a whole request (connect, send, evaluate, read the reply) may
   * take; also sent to Prometheus as the query's `timeout` parameter.
   * @default 10
   */
  timeoutSeconds?: number;
  /** Seconds to wait for the TCP (and TLS) connection. @default 5 */
  connectTimeoutSeconds?: number;
  /** Extra headers sent with every request (e.g. `X-Scope-OrgID` for Mimir/Cortex). @default {} */
  headers?: Record<string, string>;
  /**
   * The undici dispatcher to use. @default a private `Agent`, closed by {@link PrometheusClient.close}
   */
  dispatcher?: Dispatcher;
}

/** Per-call options shared by both query kinds. */
export interface QueryCallOptions {
  /** Aborts the request; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutSeconds` for this call. */
  timeoutSeconds?: number;
}

/** Options of {@link PrometheusClient.query}. */
export interface InstantQueryOptions extends QueryCallOptions {
  /** Evaluation time: a `Date` or Unix seconds. @default the server's current time */
  time?: Date | number;
}

/** Options of {@link PrometheusClient.queryRange}. */
export interface RangeQueryOptions extends QueryCallOptions {
  /** Start of the range: a `Date` or Unix seconds (inclusive). */
  start: Date | number;
  /** End of the range: a `Date` or Unix seconds (inclusive). */
  end: Date | number;
  /** Resolution step in seconds (> 0). */
  stepSeconds: number;
}

/**
 * What conditions need of a Prometheus server: instant and range queries.
 * {@link PrometheusClient} implements it; tests may provide their own.
 */
export interface PrometheusApi {
  /** Base URL queries go to, for messages. */
  readonly url: string;
  /** Evaluates `expr` at one instant (`/api/v1/query`). */
  query(expr: string, options?: InstantQueryOptions): Promise<QueryResult>;
  /** Evaluates `expr` over a range (`/api/v1/query_range`); the result is a matrix. */
  queryRange(expr: string, options: RangeQueryOptions): Promise<QueryResult>;
}

const DEFAULT_TIMEOUT_SECONDS = 10;
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
const SNIPPET_CHARS = 200;

function toUnixSeconds(t: Date | number): string {
  return String(t instanceof Date ? t.getTime() / 1000 : t);
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine.length === 0) return '(empty body)';
  return JSON.stringify(oneLine.length > SNIPPET_CHARS ? `${oneLine.slice(0, SNIPPET_CHARS)}…` : oneLine);
}

function positiveSeconds(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new InvalidInputError(`PrometheusClient: ${name} must be a finite number > 0, got ${v}`);
  return v;
}

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
  }
  return undefined;
}

/**
 * A small client of the Prometheus HTTP API over undici.
 *
 * Queries are sent as `POST` with a form body (long PromQL fits), with
 * `Accept: application/json` and the configured authentication. Every failure
 * is a {@link PrometheusError}, recoverable or not by
 * {@link isRecoverablePrometheusError}; an aborted call rejects with the
 * signal's reason instead.
 *
 * ```ts
 * const prom = new PrometheusClient({ url: 'http://127.0.0.1:9090', bearerToken: token });
 * const r = await prom.query('sum by (instance) (scylla_compaction_manager_pending_compactions)');
 * if (r.resultType === 'vector') for (const s of r.result) console.log(s.metric.instance, s.value);
 * await prom.close();
 * ```
 */
export class PrometheusClient implements PrometheusApi {
  /** The base URL, without credentials and trailing slash. */
  readonly url: string;
  /** Seconds a request may take. */
  readonly timeoutSeconds: number;
  readonly #headers: Record<string, string>;
  #dispatcher: Dispatcher;
  #closed = false;
  readonly #ownsDispatcher: boolean;
  readonly #connectTimeoutMs: number;

  constructor(options: PrometheusClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new InvalidInputError(`PrometheusClient: url ${JSON.stringify(options.url)} is not a valid URL; use e.g. http://prometheus:9090`, {
        code: 'INVALID_PROMETHEUS_URL',
      });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InvalidInputError(`PrometheusClient: url ${JSON.stringify(options.url)} must use http or https`, { code: 'INVALID_PROMETHEUS_URL' });
    }
    let basicAuth = options.basicAuth;
    if (parsed.username !== '') {
      basicAuth ??= { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
      parsed.username = '';
      parsed.password = '';
    }
    if (basicAuth && options.bearerToken !== undefined) {
      throw new InvalidInputError('PrometheusClient: give either basic auth or a bearer token, not both', { code: 'INVALID_PROMETHEUS_AUTH' });
    }
    parsed.search = '';
    parsed.hash = '';
    this.url = parsed.toString().replace(/\/+$/, '');
    this.timeoutSeconds = positiveSeconds('timeoutSeconds', options.timeoutSeconds, DEFAULT_TIMEOUT_SECONDS);
    const connectTimeoutSeconds = positiveSeconds('connectTimeoutSeconds', options.connectTimeoutSeconds, DEFAULT_CONNECT_TIMEOUT_SECONDS);

    this.#headers = { ...(options.headers ?? {}) };
    this.#headers.accept = 'application/json';
    if (basicAuth) {
      this.#headers.authorization = `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`, 'utf8').toString('base64')}`;
    } else if (options.bearerToken !== undefined) {
      this.#headers.authorization = `Bearer ${options.bearerToken}`;
    }
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#connectTimeoutMs = connectTimeoutSeconds * 1000;
    this.#dispatcher = options.dispatcher ?? new Agent({ connect: { timeout: this.#connectTimeoutMs } });
  }

  /** Evaluates `expr` at one instant (`/api/v1/query`). @throws PrometheusError */
  query(expr: string, options: InstantQueryOptions = {}): Promise<QueryResult> {
    const params: Record<string, string> = { query: expr };
    if (options.time !== undefined) params.time = toUnixSeconds(options.time);
    return this.#call('/api/v1/query', expr, params, options);
  }

  /** Evaluates `expr` over `[start, end]` every `stepSeconds` (`/api/v1/query_range`). @throws PrometheusError */
  queryRange(expr: string, options: RangeQueryOptions): Promise<QueryResult> {
    if (!Number.isFinite(options.stepSeconds) || options.stepSeconds <= 0) {
      throw new InvalidInputError(`queryRange: stepSeconds must be a finite number > 0, got ${options.stepSeconds}`);
    }
    const params = {
      query: expr,
      start: toUnixSeconds(options.start),
      end: toUnixSeconds(options.end),
      step: String(options.stepSeconds),
    };
    return this.#call('/api/v1/query_range', expr, params, options);
  }

  /**
   * Closes the private connection pool (not a dispatcher passed in options).
   * A later query opens a new pool, so a client shared by several contexts
   * never fails because one owner closed it.
   */
  async close(): Promise<void> {
    if (!this.#ownsDispatcher || this.#closed) return;
    this.#closed = true;
    await this.#dispatcher.close();
  }

  async #call(path: string, expr: string, params: Record<string, string>, options: QueryCallOptions): Promise<QueryResult> {
    const endpoint = `${this.url}${path}`;
    const timeoutSeconds = positiveSeconds('timeoutSeconds', options.timeoutSeconds, this.timeoutSeconds);
    const info = { endpoint, query: expr };
    options.signal?.throwIfAborted();
    if (this.#closed) {
      this.#dispatcher = new Agent({ connect: { timeout: this.#connectTimeoutMs } });
      this.#closed = false;
    }
    const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const body = new URLSearchParams({ ...params, timeout: `${timeoutSeconds}s` }).toString();

    let statusCode: number;
    let contentType: string;
    let text: string;
    try {
      const res = await request(endpoint, {
        method: 'POST',
        headers: { ...this.#headers, 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal,
        dispatcher: this.#dispatcher,
      });
      statusCode = res.statusCode;
      const ct = res.headers['content-type'];
      contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
      text = await res.body.text();
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) {
        throw PrometheusError.create(`Prometheus at ${endpoint} did not answer within ${timeoutSeconds}s (query: ${expr})`, {
          ...info,
          errorType: 'client_timeout',
        }, { cause: e });
      }
      const code = errorCode(e);
      const msg = e instanceof Error ? e.message : String(e);
      throw PrometheusError.create(
        `cannot reach Prometheus at ${endpoint}: ${code ? `${code} ` : ''}${msg}; check that it is running and that connection.prometheus.url is right`,
        { ...info, errorType: 'connection' },
        { cause: e, details: code ? { cause_code: code } : {} },
      );
    }
    return this.#decode(statusCode, contentType, text, info);
  }

  #decode(status: number, contentType: string, text: string, info: { endpoint: string; query: string }): QueryResult {
    const { endpoint, query } = info;
    let json: unknown;
    let jsonOk = false;
    try {
      json = JSON.parse(text);
      jsonOk = true;
    } catch {
      // handled below
    }
    const obj = jsonOk && typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;

    if (obj && obj.status === 'error') {
      const errorType = typeof obj.errorType === 'string' && obj.errorType !== '' ? obj.errorType : 'http';
      const message = typeof obj.error === 'string' ? obj.error : '(no message)';
      throw PrometheusError.create(`Prometheus ${errorType} error (HTTP ${status}) from ${endpoint}: ${message} (query: ${query})`, {
        ...info,
        errorType,
        httpStatus: status,
      });
    }
    if (status < 200 || status > 299) {
      const hint =
        status === 401 || status === 403
          ? '; check connection.prometheus basic_auth / bearer_token'
          : status === 404
            ? '; check connection.prometheus.url (path prefix?)'
            : '';
      throw PrometheusError.create(`HTTP ${status} from Prometheus at ${endpoint} (content-type ${contentType || 'none'}): ${snippet(text)}${hint}`, {
        ...info,
        errorType: 'http',
        httpStatus: status,
      });
    }
    if (!jsonOk) {
      throw PrometheusError.create(
        `Prometheus at ${endpoint} sent a reply that is not JSON (HTTP ${status}, content-type ${contentType || 'none'}, ${text.length} bytes): ${snippet(text)}`,
        { ...info, errorType: 'invalid_json', httpStatus: status },
      );
    }
    if (!obj || obj.status !== 'success' || !('data' in obj)) {
      throw PrometheusError.create(
        `${endpoint} did not answer like the Prometheus HTTP API (expected {"status":"success","data":...}): ${snippet(text)}; check connection.prometheus.url`,
        { ...info, errorType: 'unexpected_response', httpStatus: status },
      );
    }
    try {
      const data = decodeQueryData(obj.data);
      return { ...data, warnings: stringList(obj.warnings), infos: stringList(obj.infos) };
    } catch (e) {
      if (!(e instanceof QueryDecodeError)) throw e;
      throw PrometheusError.create(`malformed query result from Prometheus at ${endpoint}: ${e.message} (query: ${query})`, {
        ...info,
        errorType: 'unexpected_response',
        httpStatus: status,
      });
    }
  }
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
