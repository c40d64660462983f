import {
  asLong,
  asObject,
  asString,
  decodeArrayOf,
  decodeBoolean,
  decodeLong,
  decodeLongArray,
  decodeMapperArray,
  decodeMapperListArray,
  decodeString,
  decodeStringArray,
  decodeVoid,
  type ScyllaDecoder,
} from './decoders.js';

/** One REST route the client calls: what the fidelity test checks against the route manifest. */
export interface ScyllaClientRoute<T> {
  /** HTTP method. */
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path template exactly as in Scylla's API definitions (`{param}` placeholders, trailing `/` kept). */
  readonly path: string;
  /** The response type the definitions declare (`string`, `void`, `array<mapper>`, ...). */
  readonly responseType: string;
  /** Turns the reply body into a value. */
  readonly decode: ScyllaDecoder<T>;
  /**
   * The call blocks until a long operation finishes (drain, cleanup, flush, decommission,
   * removenode, snapshot): its headers timeout is `longOperationTimeoutSeconds`.
   */
  readonly long?: boolean;
}

/** A token range of `describe_ring`. */
export interface ScyllaTokenRange {
  startToken: string;
  endToken: string;
  /** Replica addresses (IPs). */
  endpoints: string[];
  rpcEndpoints: string[];
  endpointDetails: { host: string; datacenter: string; rack?: string }[];
}

/** A running compaction (`/compaction_manager/compactions`). */
export interface ScyllaCompactionSummary {
  id: string;
  ks: string;
  cf: string;
  completed: number;
  total: number;
  taskType: string;
  unit: string;
}

/** Pending compaction estimate of one table. */
export interface ScyllaPendingCompaction {
  ks: string;
  cf: string;
  task: number;
}

/** Snapshots with one tag. */
export interface ScyllaSnapshotInfo {
  tag: string;
  tables: { ks: string; cf: string; total: number; live: number }[];
}

/** A task-manager task (`/task_manager/list_module_tasks/{module}`). */
export interface ScyllaTaskStats {
  taskId: string;
  state: string;
  type: string;
  keyspace: string;
  table: string;
  sequenceNumber: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : asLong(v));

const decodeTokenRanges = decodeArrayOf<ScyllaTokenRange>('token_range objects', (v) => {
  const o = asObject(v);
  const list = (x: unknown) => (Array.isArray(x) ? x.map(asString) : []);
  if (!Array.isArray(o.endpoints)) throw new TypeError(`expected token_range.endpoints to be an array, got ${JSON.stringify(o.endpoints)}`);
  return {
    startToken: asString(o.start_token),
    endToken: asString(o.end_token),
    endpoints: (o.endpoints as unknown[]).map(asString),
    rpcEndpoints: list(o.rpc_endpoints),
    endpointDetails: (Array.isArray(o.endpoint_details) ? o.endpoint_details : []).map((d) => {
      const e = asObject(d);
      return {
        host: asString(e.host),
        datacenter: asString(e.datacenter),
        ...(typeof e.rack === 'string' ? { rack: e.rack } : {}),
      };
    }),
  };
});

const decodeCompactions = decodeArrayOf<ScyllaCompactionSummary>('summary objects', (v) => {
  const o = asObject(v);
  return {
    id: asString(o.id),
    ks: asString(o.ks),
    cf: asString(o.cf),
    completed: num(o.completed),
    total: num(o.total),
    taskType: asString(o.task_type),
    unit: asString(o.unit),
  };
});

const decodePendingByTable = decodeArrayOf<ScyllaPendingCompaction>('pending_compaction objects', (v) => {
  const o = asObject(v);
  return { ks: asString(o.ks), cf: asString(o.cf), task: num(o.task) };
});

const decodeSnapshots = decodeArrayOf<ScyllaSnapshotInfo>('snapshots objects', (v) => {
  const o = asObject(v);
  const tables = Array.isArray(o.value) ? o.value : [];
  return {
    tag: asString(o.key),
    tables: tables.map((t) => {
      const s = asObject(t);
      return { ks: asString(s.ks), cf: asString(s.cf), total: num(s.total), live: num(s.live) };
    }),
  };
});

const decodeTaskStats = decodeArrayOf<ScyllaTaskStats>('task_stats objects', (v) => {
  const o = asObject(v);
  return {
    taskId: asString(o.task_id),
    state: asString(o.state),
    type: typeof o.type === 'string' ? o.type : '',
    keyspace: typeof o.keyspace === 'string' ? o.keyspace : '',
    table: typeof o.table === 'string' ? o.table : '',
    sequenceNumber: num(o.sequence_number),
  };
});

function route<T>(r: ScyllaClientRoute<T>): ScyllaClientRoute<T> {
  return Object.freeze(r);
}

/**
 * Every REST route {@link ScyllaApiClient} calls, declaratively: method, path template,
 * the response type ScyllaDB's API definitions declare, and the decoder. The client calls
 * nothing else; the fidelity test checks each entry against the generated route manifest.
 */
export const SCYLLA_CLIENT_ROUTES = Object.freeze({
  operationMode: route({ method: 'GET', path: '/storage_service/operation_mode', responseType: 'string', decode: decodeString }),
  drain: route({ method: 'POST', path: '/storage_service/drain', responseType: 'void', decode: decodeVoid, long: true }),
  drainProgress: route({ method: 'GET', path: '/storage_service/drain', responseType: 'string', decode: decodeString }),
  nativeTransport: route({ method: 'GET', path: '/storage_service/native_transport', responseType: 'boolean', decode: decodeBoolean }),
  gossiping: route({ method: 'GET', path: '/storage_service/gossiping', responseType: 'boolean', decode: decodeBoolean }),
  hostIdMap: route({ method: 'GET', path: '/storage_service/host_id', responseType: 'array<mapper>', decode: decodeMapperArray }),
  localHostId: route({ method: 'GET', path: '/storage_service/hostid/local', responseType: 'string', decode: decodeString }),
  liveEndpoints: route({ method: 'GET', path: '/gossiper/endpoint/live/', responseType: 'array<string>', decode: decodeStringArray }),
  downEndpoints: route({ method: 'GET', path: '/gossiper/endpoint/down/', responseType: 'array<string>', decode: decodeStringArray }),
  joiningNodes: route({ method: 'GET', path: '/storage_service/nodes/joining', responseType: 'array<string>', decode: decodeStringArray }),
  leavingNodes: route({ method: 'GET', path: '/storage_service/nodes/leaving', responseType: 'array<string>', decode: decodeStringArray }),
  movingNodes: route({ method: 'GET', path: '/storage_service/nodes/moving', responseType: 'array<string>', decode: decodeStringArray }),
  excludedNodes: route({ method: 'GET', path: '/storage_service/nodes/excluded', responseType: 'array<string>', decode: decodeStringArray }),
  datacenter: route({ method: 'GET', path: '/snitch/datacenter', responseType: 'string', decode: decodeString }),
  rack: route({ method: 'GET', path: '/snitch/rack', responseType: 'string', decode: decodeString }),
  describeRing: route({ method: 'GET', path: '/storage_service/describe_ring/{keyspace}', responseType: 'array<token_range>', decode: decodeTokenRanges }),
  keyspaces: route({ method: 'GET', path: '/storage_service/keyspaces', responseType: 'array<string>', decode: decodeStringArray }),
  schemaVersions: route({ method: 'GET', path: '/storage_proxy/schema_versions', responseType: 'array<mapper_list>', decode: decodeMapperListArray }),
  compactions: route({ method: 'GET', path: '/compaction_manager/compactions', responseType: 'array<summary>', decode: decodeCompactions }),
  pendingCompactionTasks: route({ method: 'GET', path: '/compaction_manager/metrics/pending_tasks', responseType: 'long', decode: decodeLong }),
  pendingCompactionTasksByTable: route({
    method: 'GET',
    path: '/compaction_manager/metrics/pending_tasks_by_table',
    responseType: 'array<pending_compaction>',
    decode: decodePendingByTable,
  }),
  flushAll: route({ method: 'POST', path: '/storage_service/flush', responseType: 'void', decode: decodeVoid, long: true }),
  flushKeyspace: route({ method: 'POST', path: '/storage_service/keyspace_flush/{keyspace}', responseType: 'void', decode: decodeVoid, long: true }),
  keyspaceCleanup: route({ method: 'POST', path: '/storage_service/keyspace_cleanup/{keyspace}', responseType: 'long', decode: decodeLong, long: true }),
  repairAsync: route({ method: 'POST', path: '/storage_service/repair_async/{keyspace}', responseType: 'long', decode: decodeLong }),
  repairAsyncStatus: route({ method: 'GET', path: '/storage_service/repair_async/{keyspace}', responseType: 'string', decode: decodeString }),
  activeRepairs: route({ method: 'GET', path: '/storage_service/active_repair/', responseType: 'array<long>', decode: decodeLongArray }),
  moduleTasks: route({ method: 'GET', path: '/task_manager/list_module_tasks/{module}', responseType: 'array<task_stats>', decode: decodeTaskStats }),
  snapshots: route({ method: 'GET', path: '/storage_service/snapshots', responseType: 'array<snapshots>', decode: decodeSnapshots }),
  takeSnapshot: route({ method: 'POST', path: '/storage_service/snapshots', responseType: 'void', decode: decodeVoid, long: true }),
  decommission: route({ method: 'POST', path: '/storage_service/decommission', responseType: 'void', decode: decodeVoid, long: true }),
  removeNode: route({ method: 'POST', path: '/storage_service/remove_node', responseType: 'void', decode: decodeVoid, long: true }),
  releaseVersion: route({ method: 'GET', path: '/storage_service/release_version', responseType: 'string', decode: decodeString }),
  scyllaReleaseVersion: route({ method: 'GET', path: '/storage_service/scylla_release_version', responseType: 'string', decode: decodeString }),
  tableNames: route({ method: 'GET', path: '/column_family/name', responseType: 'array<string>', decode: decodeStringArray }),
  uptimeMs: route({ method: 'GET', path: '/system/uptime_ms', responseType: 'long', decode: decodeLong }),
});
