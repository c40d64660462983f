import { Pool } from 'undici';
import { ScyllaApiError, type ScyllaApiCallInfo } from './scylla-api-errors.js';
import { NodeStatusView } from './node-status.js';
import {
  SCYLLA_CLIENT_ROUTES as R,
  type ScyllaClientRoute,
  type ScyllaCompactionSummary,
  type ScyllaPendingCompaction,
  type ScyllaSnapshotInfo,
  type ScyllaTaskStats,
  type ScyllaTokenRange,
} from './scylla-client-routes.js';
import type { ScyllaMapperEntry, ScyllaMapperListEntry } from './decoders.js';

/** The REST API's default port (`api_port`). */
export const DEFAULT_SCYLLA_API_PORT = 10000;

/** One request as the client issues it (a subset of undici's `Pool.request` options). */
export interface ScyllaHttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  /** Milliseconds to wait for the reply headers; 0 = no limit. */
  headersTimeout: number;
  /** Milliseconds of silence allowed while the body arrives. */
  bodyTimeout: number;
  signal?: AbortSignal;
}

/**
 * What the client needs of an HTTP connection pool: undici's `Pool` has this shape. Pass another
 * (e.g. the simulator's in-process pool) as {@link ScyllaApiClientOptions.pool} to route the
 * client's requests elsewhere. Failures must reject as undici's do: an error whose `code` is
 * `ECONNREFUSED`, `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, ... (see the client's classification).
 */
export interface ScyllaHttpPool {
  request(options: ScyllaHttpRequest): Promise<{ statusCode: number; body: { text(): Promise<string> } }>;
  close(): Promise<void>;
}

/** Options of a {@link ScyllaApiClient}. */
export interface ScyllaApiClientOptions {
  /** The node's address (IP or DNS name; IPv6 with or without brackets). */
  host: string;
  /** REST API port. @default 10000 */
  port?: number;
  /** Seconds to establish a TCP connection. @default 5 */
  connectTimeoutSeconds?: number;
  /** Seconds to wait for the reply headers of an ordinary call. @default 30 */
  headersTimeoutSeconds?: number;
  /** Seconds of silence allowed while the body arrives. @default 30 */
  bodyTimeoutSeconds?: number;
  /**
   * Seconds to wait for the reply headers of a call that blocks until a long operation ends
   * (drain, flush, cleanup, snapshot, decommission, removenode). 0 means no limit (the step's
   * `timeout_seconds` and the job's abort signal still apply). @default 3600
   */
  longOperationTimeoutSeconds?: number;
  /** Extra request headers (e.g. for an authenticating proxy). @default {} */
  headers?: Record<string, string>;
  /** Maximum concurrent connections to the node. @default 4 */
  connections?: number;
  /** The pool requests go through. @default an undici `Pool` to `http://host:port` */
  pool?: ScyllaHttpPool;
}

/** Options of one call. */
export interface ScyllaCallOptions {
  /** Aborts the call; the abort reason is rethrown unchanged. */
  signal?: AbortSignal;
  /** Overrides the headers timeout of this call, in seconds (0: no limit). */
  timeoutSeconds?: number;
}

/** Values of `/storage_service/operation_mode` (NONE is reported as `STARTING`). */
export type OperationMode =
  | 'STARTING'
  | 'JOINING'
  | 'BOOTSTRAP'
  | 'NORMAL'
  | 'LEAVING'
  | 'DECOMMISSIONED'
  | 'MOVING'
  | 'DRAINING'
  | 'DRAINED'
  | 'MAINTENANCE';

/** Status of an async repair (`GET /storage_service/repair_async/{keyspace}?id=`). */
export type RepairStatus = 'RUNNING' | 'SUCCESSFUL' | 'FAILED';

/** Parsed `GET /storage_service/drain`: `"Drained <remaining>/<total> ColumnFamilies"`. */
export interface DrainProgress {
  /** Column families still to drain (the first number is *remaining*, not done). */
  remaining: number;
  total: number;
  /** The raw text. */
  text: string;
}

/**
 * Options of `POST /storage_service/repair_async/{keyspace}`; each becomes the query parameter
 * of the same name (all are strings on the wire; unknown ones make Scylla answer 400).
 */
export interface RepairAsyncOptions {
  primaryRange?: boolean;
  parallelism?: 'sequential' | 'parallel' | 'dc_parallel';
  incremental?: boolean;
  jobThreads?: number;
  ranges?: string;
  startToken?: string;
  endToken?: string;
  /** Tables of the keyspace (default: all). */
  columnFamilies?: string[];
  dataCenters?: string[];
  hosts?: string[];
  ignoreNodes?: string[];
  trace?: boolean;
  rangesParallelism?: number;
  smallTableOptimization?: boolean;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
/** 404 messages that a starting node gives for things that will exist soon. */
const STARTUP_404_MESSAGES = ['Not found', 'local host ID is not yet set'];

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (TIMEOUT_CODES.has(code) || NETWORK_CODES.has(code))) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function seconds(v: number | undefined, dflt: number): number {
  const s = v ?? dflt;
  if (!Number.isFinite(s) || s < 0) throw new RangeError(`timeout must be a finite number of seconds >= 0, got ${v}`);
  return Math.round(s * 1000);
}

function csv(list: readonly string[] | undefined): string | undefined {
  return list && list.length > 0 ? list.join(',') : undefined;
}

/**
 * A typed client of one node's Scylla REST API (port 10000), over one undici `Pool`.
 *
 * Every call is one HTTP request: no hidden retries (the engine owns retries). Replies are
 * decoded exactly as Scylla encodes them (JSON-quoted strings, bare numbers and booleans,
 * empty-body `void` replies). Failures are classified:
 * - no reply, timeouts, 5xx, 429, and 404s a starting node gives → a {@link ScyllaApiError} with
 *   `retryable: true` (so `instanceof RecoverableError`);
 * - other 4xx replies and undecodable bodies → a {@link ScyllaApiError} with `retryable: false`
 *   (so `instanceof UnrecoverableError`);
 * - an aborted call rethrows the abort reason (an `AbortError`: unrecoverable).
 *
 * ```ts
 * const api = new ScyllaApiClient({ host: '10.0.0.1' });
 * if ((await api.operationMode()) !== 'DRAINED') await api.drain();
 * await api.close();
 * ```
 */
export class ScyllaApiClient {
  /** `host:port` (IPv6 in brackets). */
  readonly origin: string;
  readonly #pool: ScyllaHttpPool;
  readonly #headersTimeoutMs: number;
  readonly #bodyTimeoutMs: number;
  readonly #longTimeoutMs: number;
  readonly #headers: Record<string, string>;
  #closed = false;

  constructor(options: ScyllaApiClientOptions) {
    const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
    const port = options.port ?? DEFAULT_SCYLLA_API_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`Scylla API port must be 1..65535, got ${port}`);
    this.origin = `${host}:${port}`;
    this.#headersTimeoutMs = seconds(options.headersTimeoutSeconds, 30);
    this.#bodyTimeoutMs = seconds(options.bodyTimeoutSeconds, 30);
    this.#longTimeoutMs = seconds(options.longOperationTimeoutSeconds, 3600);
    this.#headers = { accept: 'application/json', ...(options.headers ?? {}) };
    this.#pool =
      options.pool ??
      new Pool(`http://${this.origin}`, {
        connections: options.connections ?? 4,
        connectTimeout: seconds(options.connectTimeoutSeconds, 5),
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: this.#bodyTimeoutMs,
      });
  }

  /** Closes the pool (waits for calls in flight). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }


  /**
   * Calls one declared route. `pathParams` fill the `{param}` placeholders (URI-encoded);
   * `query` entries whose value is `undefined` are left out.
   */
  async call<T>(
    route: ScyllaClientRoute<T>,
    params: { path?: Record<string, string>; query?: Record<string, string | undefined> } = {},
    options: ScyllaCallOptions = {},
  ): Promise<T> {
    let path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const v = params.path?.[name];
      if (v === undefined || v === '') throw new TypeError(`missing path parameter ${name} for ${route.path}`);
      return encodeURIComponent(v);
    });
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params.query ?? {})) if (v !== undefined) q.set(k, v);
    const qs = q.toString();
    if (qs) path += `?${qs}`;
    const info: ScyllaApiCallInfo = { method: route.method, path, origin: this.origin };
    const headersTimeout =
      options.timeoutSeconds !== undefined ? seconds(options.timeoutSeconds, 0) : route.long ? this.#longTimeoutMs : this.#headersTimeoutMs;
    let status: number;
    let body: string;
    try {
      const res = await this.#pool.request({
        method: route.method,
        path,
        headers: this.#headers,
        headersTimeout,
        bodyTimeout: this.#bodyTimeoutMs,
        signal: options.signal,
      });
      status = res.statusCode;
      body = await res.body.text();
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason ?? e;
      const code = errorCode(e);
      if (code !== undefined) {
        const timeout = TIMEOUT_CODES.has(code);
        throw ScyllaApiError.unavailable(info, timeout ? `timed out (${code})` : `no connection (${code})`, {
          cause: e,
          code: timeout ? 'SCYLLA_API_TIMEOUT' : 'SCYLLA_API_UNREACHABLE',
        });
      }
      throw e;
    }
    if (status >= 200 && status < 300) {
      try {
        return route.decode(body);
      } catch (e) {
        throw new ScyllaApiError(
          { ...info, status, scyllaMessage: `reply does not decode as ${route.responseType}: ${(e as Error).message}` },
          { code: 'SCYLLA_API_BAD_RESPONSE', cause: e },
        );
      }
    }
    const message = errorMessage(body);
    const failed = { ...info, status, scyllaMessage: message };
    if (status >= 500 || status === 429) {
      throw ScyllaApiError.unavailable(failed, `${status} ${message}`, { code: 'SCYLLA_API_SERVER_ERROR' });
    }
    if (status === 404 && STARTUP_404_MESSAGES.includes(message)) {
      throw ScyllaApiError.unavailable(failed, `404 ${message} (the node is probably still starting: its API group is not registered yet)`, {
        code: 'SCYLLA_API_NOT_READY',
      });
    }
    throw new ScyllaApiError(failed);
  }

  /** `GET /storage_service/operation_mode`, e.g. `NORMAL`, `DRAINED`. */
  operationMode(o?: ScyllaCallOptions): Promise<OperationMode | (string & {})> {
    return this.call(R.operationMode, {}, o);
  }
  /** `POST /storage_service/drain`: blocks until drained; a no-op on a DRAINED node. */
  drain(o?: ScyllaCallOptions): Promise<void> {
    return this.call(R.drain, {}, o);
  }
  /** `GET /storage_service/drain`, parsed. */
  async drainProgress(o?: ScyllaCallOptions): Promise<DrainProgress> {
    const text = await this.call(R.drainProgress, {}, o);
    const m = /Drained (\d+)\/(\d+) ColumnFamilies/.exec(text);
    return { remaining: m ? Number(m[1]) : NaN, total: m ? Number(m[2]) : NaN, text };
  }
  /** `GET /storage_service/native_transport`: whether the CQL server is listening. */
  nativeTransport(o?: ScyllaCallOptions): Promise<boolean> {
    return this.call(R.nativeTransport, {}, o);
  }
  /** `GET /storage_service/gossiping`. */
  gossiping(o?: ScyllaCallOptions): Promise<boolean> {
    return this.call(R.gossiping, {}, o);
  }
  /** `GET /storage_service/host_id`: `[{key: address, value: hostId}]` (500 while gossip is off). */
  hostIdMap(o?: ScyllaCallOptions): Promise<ScyllaMapperEntry[]> {
    return this.call(R.hostIdMap, {}, o);
  }
  /** `GET /storage_service/hostid/local`. */
  localHostId(o?: ScyllaCallOptions): Promise<string> {
    return this.call(R.localHostId, {}, o);
  }
  /** `GET /gossiper/endpoint/live/` (includes this node unless it announced shutdown). */
  liveEndpoints(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.liveEndpoints, {}, o);
  }
  /** `GET /gossiper/endpoint/down/`. */
  downEndpoints(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.downEndpoints, {}, o);
  }
  /** `GET /storage_service/nodes/joining` (addresses). */
  joiningNodes(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.joiningNodes, {}, o);
  }
  /** `GET /storage_service/nodes/leaving` (addresses). */
  leavingNodes(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.leavingNodes, {}, o);
  }
  /** `GET /storage_service/nodes/moving` (addresses; always empty in current Scylla). */
  movingNodes(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.movingNodes, {}, o);
  }
  /** `GET /storage_service/nodes/excluded` (host ids). */
  excludedNodes(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.excludedNodes, {}, o);
  }
  /** `GET /snitch/datacenter[?host=]` (default: this node). */
  datacenter(host?: string, o?: ScyllaCallOptions): Promise<string> {
    return this.call(R.datacenter, { query: { host } }, o);
  }
  /** `GET /snitch/rack[?host=]` (default: this node). */
  rack(host?: string, o?: ScyllaCallOptions): Promise<string> {
    return this.call(R.rack, { query: { host } }, o);
  }
  /** `GET /storage_service/describe_ring/{keyspace}[?table=]`. */
  describeRing(keyspace: string, table?: string, o?: ScyllaCallOptions): Promise<ScyllaTokenRange[]> {
    return this.call(R.describeRing, { path: { keyspace }, query: { table } }, o);
  }
  /** `GET /storage_service/keyspaces[?type=&replication=]`. */
  keyspaces(
    filter: { type?: 'all' | 'user' | 'non_local_strategy'; replication?: 'all' | 'vnodes' | 'tablets' } = {},
    o?: ScyllaCallOptions,
  ): Promise<string[]> {
    return this.call(R.keyspaces, { query: { type: filter.type, replication: filter.replication } }, o);
  }
  /** `GET /storage_proxy/schema_versions`: `[{key: version or "UNREACHABLE", value: [addresses]}]`. */
  schemaVersions(o?: ScyllaCallOptions): Promise<ScyllaMapperListEntry[]> {
    return this.call(R.schemaVersions, {}, o);
  }
  /** `GET /compaction_manager/compactions`: running compactions. */
  compactions(o?: ScyllaCallOptions): Promise<ScyllaCompactionSummary[]> {
    return this.call(R.compactions, {}, o);
  }
  /** `GET /compaction_manager/metrics/pending_tasks`: the strategies' pending-compaction estimate, all tables and shards. */
  pendingCompactionTasks(o?: ScyllaCallOptions): Promise<number> {
    return this.call(R.pendingCompactionTasks, {}, o);
  }
  /** `GET /compaction_manager/metrics/pending_tasks_by_table`. */
  pendingCompactionTasksByTable(o?: ScyllaCallOptions): Promise<ScyllaPendingCompaction[]> {
    return this.call(R.pendingCompactionTasksByTable, {}, o);
  }
  /** `POST /storage_service/keyspace_flush/{keyspace}[?cf=]`, or `POST /storage_service/flush` without a keyspace. */
  flush(keyspace?: string, tables?: string[], o?: ScyllaCallOptions): Promise<void> {
    if (keyspace === undefined) return this.call(R.flushAll, {}, o);
    return this.call(R.flushKeyspace, { path: { keyspace }, query: { cf: csv(tables) } }, o);
  }
  /** `POST /storage_service/keyspace_cleanup/{keyspace}[?cf=]`: blocks until done; returns 0. */
  keyspaceCleanup(keyspace: string, tables?: string[], o?: ScyllaCallOptions): Promise<number> {
    return this.call(R.keyspaceCleanup, { path: { keyspace }, query: { cf: csv(tables) } }, o);
  }
  /** `POST /storage_service/repair_async/{keyspace}`: starts a repair, returns its id. */
  repairAsync(keyspace: string, options: RepairAsyncOptions = {}, o?: ScyllaCallOptions): Promise<number> {
    const b = (v: boolean | undefined) => (v === undefined ? undefined : String(v));
    const n = (v: number | undefined) => (v === undefined ? undefined : String(v));
    return this.call(
      R.repairAsync,
      {
        path: { keyspace },
        query: {
          primaryRange: b(options.primaryRange),
          parallelism: options.parallelism,
          incremental: b(options.incremental),
          jobThreads: n(options.jobThreads),
          ranges: options.ranges,
          startToken: options.startToken,
          endToken: options.endToken,
          columnFamilies: csv(options.columnFamilies),
          dataCenters: csv(options.dataCenters),
          hosts: csv(options.hosts),
          ignore_nodes: csv(options.ignoreNodes),
          trace: b(options.trace),
          ranges_parallelism: n(options.rangesParallelism),
          small_table_optimization: b(options.smallTableOptimization),
        },
      },
      o,
    );
  }
  /** `GET /storage_service/repair_async/{keyspace}?id=`: `RUNNING`, `SUCCESSFUL` or `FAILED` (400 for an unknown id). */
  async repairStatus(keyspace: string, id: number, o?: ScyllaCallOptions): Promise<RepairStatus> {
    const s = await this.call(R.repairAsyncStatus, { path: { keyspace }, query: { id: String(id) } }, o);
    if (s !== 'RUNNING' && s !== 'SUCCESSFUL' && s !== 'FAILED') {
      throw new ScyllaApiError({
        method: 'GET',
        path: `/storage_service/repair_async/${keyspace}?id=${id}`,
        origin: this.origin,
        status: 200,
        scyllaMessage: `unexpected repair status ${JSON.stringify(s)} (expected RUNNING, SUCCESSFUL or FAILED)`,
      }, { code: 'SCYLLA_API_BAD_RESPONSE' });
    }
    return s;
  }
  /** `GET /storage_service/active_repair/`: ids of running repairs. */
  activeRepairs(o?: ScyllaCallOptions): Promise<number[]> {
    return this.call(R.activeRepairs, {}, o);
  }
  /** `GET /task_manager/list_module_tasks/{module}[?keyspace=]`: e.g. module `repair`. */
  moduleTasks(module: string, filter: { keyspace?: string } = {}, o?: ScyllaCallOptions): Promise<ScyllaTaskStats[]> {
    return this.call(R.moduleTasks, { path: { module }, query: { keyspace: filter.keyspace } }, o);
  }
  /** `GET /storage_service/snapshots`. */
  snapshots(o?: ScyllaCallOptions): Promise<ScyllaSnapshotInfo[]> {
    return this.call(R.snapshots, {}, o);
  }
  /** `POST /storage_service/snapshots?tag=&kn=[&sf=true]`: all keyspaces when `keyspaces` is empty. */
  takeSnapshot(tag: string, keyspaces?: string[], opts: { skipFlush?: boolean } = {}, o?: ScyllaCallOptions): Promise<void> {
    return this.call(R.takeSnapshot, { query: { tag, kn: csv(keyspaces), sf: opts.skipFlush ? 'true' : undefined } }, o);
  }
  /** `POST /storage_service/decommission`: blocks until the node has left. */
  decommission(o?: ScyllaCallOptions): Promise<void> {
    return this.call(R.decommission, {}, o);
  }
  /** `POST /storage_service/remove_node?host_id=[&ignore_nodes=]`: blocks until done. */
  removeNode(hostId: string, ignoreNodes?: string[], o?: ScyllaCallOptions): Promise<void> {
    return this.call(R.removeNode, { query: { host_id: hostId, ignore_nodes: csv(ignoreNodes) } }, o);
  }
  /** `GET /storage_service/release_version` (Cassandra-compatible version). */
  releaseVersion(o?: ScyllaCallOptions): Promise<string> {
    return this.call(R.releaseVersion, {}, o);
  }
  /** `GET /storage_service/scylla_release_version`. */
  scyllaReleaseVersion(o?: ScyllaCallOptions): Promise<string> {
    return this.call(R.scyllaReleaseVersion, {}, o);
  }
  /** `GET /column_family/name`: every table as `keyspace:table`. */
  tableNames(o?: ScyllaCallOptions): Promise<string[]> {
    return this.call(R.tableNames, {}, o);
  }
  /** `GET /system/uptime_ms`. */
  uptimeMs(o?: ScyllaCallOptions): Promise<number> {
    return this.call(R.uptimeMs, {}, o);
  }

  /**
   * The cluster as this node sees it, by `nodetool status` rules: host-id map, live/down
   * endpoints, joining/leaving/moving and excluded nodes, fetched in parallel.
   */
  async nodeStatus(o?: ScyllaCallOptions): Promise<NodeStatusView> {
    const [hostIds, live, down, joining, leaving, moving, excluded] = await Promise.all([
      this.hostIdMap(o),
      this.liveEndpoints(o),
      this.downEndpoints(o),
      this.joiningNodes(o),
      this.leavingNodes(o),
      this.movingNodes(o),
      this.excludedNodes(o),
    ]);
    return NodeStatusView.from({ hostIds, live, down, joining, leaving, moving, excluded });
  }
}

function errorMessage(body: string): string {
  try {
    const v = JSON.parse(body) as unknown;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.trim();
  return text.length > 500 ? `${text.slice(0, 500)}…` : text || '(empty body)';
}
