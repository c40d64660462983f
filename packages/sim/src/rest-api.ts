import { isLocalStrategy, strategyName } from './replication.js';
import type { SimCluster } from './sim-cluster.js';
import { compareIp, hash } from './util.js';
import { SimConnectionError, SimHttpError, runtimeError } from './sim-errors.js';
import { restMode, type ApiGroup, type SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import { nodeOpsTasks, topologyTaskRoutes } from './topology-task-routes.js';
import { raftTabletRoutes } from './raft-tablet-routes.js';

/** A REST reply of the simulator. */
export interface SimRestReply {
  status: number;
  /** JSON text; empty for `void` operations. */
  body: string;
  contentType: string;
}

interface Ctx {
  cluster: SimCluster;
  node: SimNode;
  params: Record<string, string>;
  query: URLSearchParams;
  actor: SimActor;
}

/** One route the simulator serves. */
export interface SimRoute {
  /** HTTP method. */
  method: 'GET' | 'POST' | 'DELETE';
  /** Path template exactly as in ScyllaDB's API definitions (`{param}` placeholders, trailing `/` as declared). */
  path: string;
  /** The API group whose registration (during startup) makes the route answer. */
  group: ApiGroup;
  /** Query parameters whose absence gives 400 `Missing mandatory parameter '<name>'`. */
  required?: string[];
  /** @internal */
  handle: (ctx: Ctx) => unknown;
}

const VOID = Symbol('void');
/** A reply body already serialized as JSON (large replies cached between calls). */
class RawJson {
  constructor(readonly text: string) {}
}
/** describe_ring replies per replica-set array (recomputed only when the ring changes). */
const ringReplies = new WeakMap<object, RawJson>();
const RELEASE_VERSION = '3.0.8';
const SNITCH = 'org.apache.cassandra.locator.GossipingPropertyFileSnitch';
const REPAIR_OPTIONS = new Set([
  'primaryRange',
  'parallelism',
  'incremental',
  'jobThreads',
  'ranges',
  'startToken',
  'endToken',
  'columnFamilies',
  'dataCenters',
  'hosts',
  'ignore_nodes',
  'trace',
  'ranges_parallelism',
  'small_table_optimization',
  'pullRepair',
  'ignoreUnreplicatedKeyspaces',
]);

const MODE_ORDER = ['NONE', 'STARTING', 'JOINING', 'BOOTSTRAP', 'NORMAL', 'LEAVING', 'DECOMMISSIONED', 'MOVING', 'DRAINING', 'DRAINED', 'MAINTENANCE'];

function requireKeyspace(c: Ctx): string {
  const ks = c.params['keyspace']!;
  if (!c.cluster.keyspace(ks)) throw new SimHttpError(400, `Keyspace ${ks} Does not exist`);
  return ks;
}

function list(v: string | null): string[] | undefined {
  if (v === null || v === '') return undefined;
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function tokenOwners(c: Ctx): SimNode[] {
  return c.cluster.nodes.filter((n) => {
    const s = c.cluster.topology.state(n.id);
    return s === 'normal' || s === 'leaving';
  });
}

function loadOf(n: SimNode): number {
  return 1_000_000_000 + (hash(n.hostId) % 500_000_000);
}

function endpointStatus(c: Ctx, n: SimNode): string {
  if (n.shutdownAnnounced || !n.gossipUp) return 'shutdown,true';
  const s = c.cluster.topology.state(n.id);
  const first = c.cluster.topology.tokensOf(n.id)[0] ?? '0';
  return s === 'leaving' ? `LEAVING,${first}` : `NORMAL,${first}`;
}

function heartbeat(c: Ctx, n: SimNode): number {
  return Math.max(0, Math.floor((c.cluster.clock.now() - n.bootAtMs) / 1000));
}

/**
 * Every route the simulator serves, with the API group that must be registered for it to answer.
 * Paths are the templates of ScyllaDB's API definitions (the fidelity test checks each one
 * against the route manifest of `@scylla-cp/tasks-scylla`).
 */
export const SIM_ROUTES: readonly SimRoute[] = [
  // ---- storage_service: lifecycle
  { method: 'GET', path: '/storage_service/operation_mode', group: 'storage_service', handle: (c) => restMode(c.node.mode) },
  { method: 'GET', path: '/storage_service/is_starting', group: 'storage_service', handle: (c) => c.node.mode === 'NONE' || c.node.mode === 'STARTING' },
  {
    method: 'GET',
    path: '/storage_service/is_initialized',
    group: 'storage_service',
    handle: (c) => (c.node.mode === 'NORMAL' ? c.node.gossipUp : c.node.mode !== 'NONE' && c.node.mode !== 'MAINTENANCE'),
  },
  {
    method: 'GET',
    path: '/storage_service/join_ring',
    group: 'storage_service',
    handle: (c) => MODE_ORDER.indexOf(c.node.mode) >= MODE_ORDER.indexOf('JOINING') && c.node.mode !== 'MAINTENANCE',
  },
  { method: 'POST', path: '/storage_service/join_ring', group: 'storage_service', handle: () => VOID },
  {
    method: 'POST',
    path: '/storage_service/drain',
    group: 'storage_service',
    handle: async (c) => {
      await c.cluster.drain(c.node, c.actor);
      return VOID;
    },
  },
  {
    method: 'GET',
    path: '/storage_service/drain',
    group: 'storage_service',
    handle: (c) => {
      const p = c.cluster.drainProgress(c.node);
      return `Drained ${p.remaining}/${p.total} ColumnFamilies`;
    },
  },
  { method: 'GET', path: '/storage_service/gossiping', group: 'storage_service', handle: (c) => c.node.gossipUp },
  {
    method: 'POST',
    path: '/storage_service/gossiping',
    group: 'storage_service',
    handle: (c) => {
      c.cluster.setGossip(c.node, true, c.actor);
      return VOID;
    },
  },
  {
    method: 'DELETE',
    path: '/storage_service/gossiping',
    group: 'storage_service',
    handle: (c) => {
      c.cluster.setGossip(c.node, false, c.actor);
      return VOID;
    },
  },
  { method: 'GET', path: '/storage_service/native_transport', group: 'transport', handle: (c) => c.node.nativeTransport },
  {
    method: 'POST',
    path: '/storage_service/native_transport',
    group: 'transport',
    handle: (c) => {
      c.cluster.setNativeTransport(c.node, true, c.actor);
      return VOID;
    },
  },
  {
    method: 'DELETE',
    path: '/storage_service/native_transport',
    group: 'transport',
    handle: (c) => {
      c.cluster.setNativeTransport(c.node, false, c.actor);
      return VOID;
    },
  },
  { method: 'GET', path: '/storage_service/rpc_server', group: 'storage_service', handle: () => false },
  { method: 'GET', path: '/storage_service/generation_number', group: 'storage_service', handle: (c) => c.node.generation },
  { method: 'GET', path: '/storage_service/release_version', group: 'storage_service', handle: () => RELEASE_VERSION },
  { method: 'GET', path: '/storage_service/scylla_release_version', group: 'storage_service', handle: (c) => c.cluster.options.scyllaVersion },
  { method: 'GET', path: '/storage_service/cluster_name', group: 'storage_service', handle: (c) => c.cluster.options.name },
  { method: 'GET', path: '/storage_service/partitioner_name', group: 'storage_service', handle: () => 'org.apache.cassandra.dht.Murmur3Partitioner' },
  { method: 'GET', path: '/storage_service/schema_version', group: 'storage_service', handle: (c) => c.cluster.schemaVersionOf(c.node) },
  {
    method: 'POST',
    path: '/storage_service/decommission',
    group: 'storage_service',
    handle: async (c) => {
      await c.cluster.decommission(c.node, c.actor);
      return VOID;
    },
  },
  {
    method: 'POST',
    path: '/storage_service/remove_node',
    group: 'storage_service',
    required: ['host_id'],
    handle: async (c) => {
      await c.cluster.removeNode(c.node, c.query.get('host_id')!, c.actor);
      return VOID;
    },
  },
  {
    method: 'POST',
    path: '/storage_service/rebuild',
    group: 'storage_service',
    handle: async (c) => {
      await c.cluster.rebuild(c.node, c.query.get('source_dc') ?? undefined, c.actor);
      return VOID;
    },
  },
  {
    method: 'GET',
    path: '/storage_service/removal_status',
    group: 'storage_service',
    handle: (c) => (c.cluster.topology.nodesIn('leaving').some((id) => c.cluster.node(id).mode !== 'LEAVING') ? 'Removing' : 'No removals in process.'),
  },
  {
    method: 'GET',
    path: '/storage_service/keyspaces',
    group: 'storage_service',
    handle: (c) => {
      const type = c.query.get('type') ?? 'all';
      const replication = c.query.get('replication') ?? 'all';
      if (!['all', 'user', 'non_local_strategy'].includes(type)) throw new SimHttpError(400, `Invalid type parameter: ${type}`);
      if (replication === 'tablets') return [];
      return c.cluster.keyspaces
        .filter((k) => {
          if (type === 'user') return !k.name.startsWith('system');
          if (type === 'non_local_strategy') return !isLocalStrategy(k);
          return true;
        })
        .map((k) => k.name);
    },
  },
  { method: 'GET', path: '/storage_service/load', group: 'storage_service', handle: (c) => loadOf(c.node) },
  {
    method: 'GET',
    path: '/storage_service/load_map',
    group: 'storage_service',
    handle: (c) => tokenOwners(c).map((n) => ({ key: n.address, value: loadOf(n) })),
  },
  {
    method: 'GET',
    path: '/storage_service/compaction_throughput',
    group: 'storage_service',
    handle: (c) => Number(c.cluster.configOf(c.node)['compaction_throughput_mb_per_sec'] ?? 0),
  },
  // ---- token_metadata
  {
    method: 'GET',
    path: '/storage_service/hostid/local',
    group: 'token_metadata',
    handle: (c) => c.node.hostId,
  },
  {
    method: 'GET',
    path: '/storage_service/host_id',
    group: 'token_metadata',
    handle: (c) => {
      if (!c.node.gossipUp) throw runtimeError('The gossiper is not ready yet');
      return tokenOwners(c).map((n) => ({ key: n.address, value: n.hostId }));
    },
  },
  {
    method: 'GET',
    path: '/storage_service/nodes/joining',
    group: 'token_metadata',
    handle: (c) => c.cluster.topology.nodesIn('joining').map((id) => c.cluster.node(id).address).sort(compareIp),
  },
  {
    method: 'GET',
    path: '/storage_service/nodes/leaving',
    group: 'token_metadata',
    handle: (c) => c.cluster.topology.nodesIn('leaving').map((id) => c.cluster.node(id).address).sort(compareIp),
  },
  { method: 'GET', path: '/storage_service/nodes/moving', group: 'token_metadata', handle: () => [] },
  { method: 'GET', path: '/storage_service/nodes/excluded', group: 'token_metadata', handle: () => [] },
  { method: 'GET', path: '/storage_service/tokens', group: 'token_metadata', handle: (c) => c.cluster.topology.ring().map((e) => e.text) },
  {
    method: 'GET',
    path: '/storage_service/tokens/{endpoint}',
    group: 'token_metadata',
    handle: (c) => {
      const n = c.cluster.nodeByAddress(c.params['endpoint']!);
      return n ? [...c.cluster.topology.tokensOf(n.id)] : [];
    },
  },
  {
    method: 'GET',
    path: '/storage_service/tokens_endpoint',
    group: 'token_metadata',
    handle: (c) => {
      if ((c.query.get('keyspace') === null) !== (c.query.get('cf') === null)) {
        throw new SimHttpError(400, 'Both keyspace and cf must be specified, or neither');
      }
      return c.cluster.topology.ring().map((e) => ({ key: e.text, value: c.cluster.node(e.node).address }));
    },
  },
  {
    method: 'GET',
    path: '/storage_service/describe_ring/{keyspace}',
    group: 'storage_service',
    handle: (c) => {
      const ks = c.cluster.keyspace(requireKeyspace(c))!;
      const sets = c.cluster.replicaSets(ks, c.node.id);
      const cached = ringReplies.get(sets);
      if (cached) return cached;
      const reply = sets.map((r) => {
        const nodes = r.replicas.map((id) => c.cluster.node(id));
        return {
          start_token: r.start,
          end_token: r.end,
          endpoints: nodes.map((n) => n.address),
          rpc_endpoints: nodes.map((n) => n.address),
          endpoint_details: nodes.map((n) => ({ host: n.address, datacenter: n.dc, rack: n.rack })),
        };
      });
      const raw = new RawJson(JSON.stringify(reply));
      ringReplies.set(sets, raw);
      return raw;
    },
  },
  // ---- snitch
  { method: 'GET', path: '/snitch/name', group: 'snitch', handle: () => SNITCH },
  {
    method: 'GET',
    path: '/snitch/datacenter',
    group: 'token_metadata',
    handle: (c) => {
      const h = c.query.get('host');
      return (h ? c.cluster.nodeByAddress(h) : c.node)?.dc ?? 'UNKNOWN_DC';
    },
  },
  {
    method: 'GET',
    path: '/snitch/rack',
    group: 'token_metadata',
    handle: (c) => {
      const h = c.query.get('host');
      return (h ? c.cluster.nodeByAddress(h) : c.node)?.rack ?? 'UNKNOWN_RACK';
    },
  },
  // ---- gossiper
  { method: 'GET', path: '/gossiper/endpoint/live/', group: 'gossiper', handle: (c) => c.cluster.liveEndpoints(c.node) },
  { method: 'GET', path: '/gossiper/endpoint/down/', group: 'gossiper', handle: (c) => c.cluster.downEndpoints(c.node) },
  {
    method: 'GET',
    path: '/gossiper/downtime/{addr}',
    group: 'gossiper',
    handle: (c) => {
      const n = c.cluster.nodeByAddress(c.params['addr']!);
      if (!n || c.cluster.seesUp(c.node, n) || n.gossipUp) return 0;
      return Math.max(0, c.cluster.clock.now() - n.gossipSinceMs) * 1000;
    },
  },
  {
    method: 'GET',
    path: '/gossiper/generation_number/{addr}',
    group: 'gossiper',
    handle: (c) => c.cluster.nodeByAddress(c.params['addr']!)?.generation ?? 0,
  },
  {
    method: 'GET',
    path: '/gossiper/heart_beat_version/{addr}',
    group: 'gossiper',
    handle: (c) => {
      const n = c.cluster.nodeByAddress(c.params['addr']!);
      return n ? heartbeat(c, n) : 0;
    },
  },
  // ---- failure_detector
  {
    method: 'GET',
    path: '/failure_detector/endpoints/',
    group: 'failure_detector',
    handle: (c) =>
      c.cluster.members().map((n) => ({
        addrs: n.address,
        generation: n.generation,
        version: heartbeat(c, n),
        update_time: c.cluster.clock.now(),
        is_alive: c.cluster.seesUp(c.node, n),
        application_state: [
          { application_state: 0, value: endpointStatus(c, n), version: 63 },
          { application_state: 1, value: String(loadOf(n)), version: 64 },
          { application_state: 2, value: c.cluster.schemaVersionOf(n), version: 65 },
          { application_state: 3, value: n.dc, version: 15 },
          { application_state: 4, value: n.rack, version: 16 },
          { application_state: 5, value: RELEASE_VERSION, version: 4 },
          { application_state: 7, value: n.address, version: 12 },
          { application_state: 8, value: n.address, version: 3 },
          { application_state: 11, value: '0', version: 1 },
          { application_state: 12, value: n.hostId, version: 2 },
          { application_state: 13, value: c.cluster.topology.tokensOf(n.id).join(';'), version: 61 },
          { application_state: 17, value: n.nativeTransport ? '1' : '0', version: 170 },
          { application_state: 19, value: String(n.shards), version: 19 },
        ],
      })),
  },
  {
    method: 'GET',
    path: '/failure_detector/endpoints/states/{addr}',
    group: 'failure_detector',
    handle: (c) => {
      const addr = c.params['addr']!;
      const n = c.cluster.nodeByAddress(addr);
      if (!n || n.left) return `unknown endpoint ${addr}`;
      return [
        `  generation:${n.generation}`,
        `  heartbeat:${heartbeat(c, n)}`,
        `  STATUS:63:${endpointStatus(c, n)}`,
        `  LOAD:64:${loadOf(n)}`,
        `  SCHEMA:65:${c.cluster.schemaVersionOf(n)}`,
        `  DC:15:${n.dc}`,
        `  RACK:16:${n.rack}`,
        `  RELEASE_VERSION:4:${RELEASE_VERSION}`,
        `  HOST_ID:2:${n.hostId}`,
        `  RPC_READY:170:${n.nativeTransport ? 1 : 0}`,
        `  TOKENS:61:<hidden>`,
        '',
      ].join('\n');
    },
  },
  {
    method: 'GET',
    path: '/failure_detector/simple_states',
    group: 'failure_detector',
    handle: (c) => c.cluster.members().map((n) => ({ key: n.address, value: n === c.node || c.cluster.seesUp(c.node, n) ? 'UP' : 'DOWN' })),
  },
  {
    method: 'GET',
    path: '/failure_detector/count/endpoint/up',
    group: 'failure_detector',
    handle: (c) => c.cluster.members().filter((n) => n === c.node || c.cluster.seesUp(c.node, n)).length,
  },
  {
    method: 'GET',
    path: '/failure_detector/count/endpoint/down',
    group: 'failure_detector',
    handle: (c) => c.cluster.members().filter((n) => n !== c.node && !c.cluster.seesUp(c.node, n)).length,
  },
  // ---- storage_proxy
  {
    method: 'GET',
    path: '/storage_proxy/schema_versions',
    group: 'storage_proxy',
    handle: (c) => {
      const by = new Map<string, string[]>();
      for (const n of c.cluster.members()) {
        if (n !== c.node && !c.cluster.seesUp(c.node, n)) continue;
        if (n === c.node && !n.process) continue;
        const v = c.cluster.schemaVersionOf(n);
        (by.get(v) ?? by.set(v, []).get(v)!).push(n.address);
      }
      return [...by].map(([key, value]) => ({ key, value: value.sort(compareIp) }));
    },
  },
  // ---- repair
  {
    method: 'POST',
    path: '/storage_service/repair_async/{keyspace}',
    group: 'repair',
    handle: (c) => {
      for (const k of c.query.keys()) if (!REPAIR_OPTIONS.has(k)) throw new SimHttpError(400, `option ${k} is not supported`);
      return c.cluster.startRepair(c.node, c.params['keyspace']!, c.actor);
    },
  },
  {
    method: 'GET',
    path: '/storage_service/repair_async/{keyspace}',
    group: 'repair',
    required: ['id'],
    handle: (c) => c.cluster.repairStatus(c.node, Number(c.query.get('id'))),
  },
  {
    method: 'GET',
    path: '/storage_service/repair_status/',
    group: 'repair',
    required: ['id'],
    handle: async (c) => {
      const t = c.query.get('timeout');
      const timeoutS = t === null ? -1 : Number(t);
      return c.cluster.awaitRepair(c.node, Number(c.query.get('id')), timeoutS < 0 ? undefined : timeoutS * 1000);
    },
  },
  { method: 'GET', path: '/storage_service/active_repair/', group: 'repair', handle: (c) => c.cluster.activeRepairs(c.node) },
  {
    method: 'POST',
    path: '/storage_service/force_terminate',
    group: 'repair',
    handle: (c) => {
      c.cluster.terminateRepairs(c.node, c.actor);
      return VOID;
    },
  },
  {
    method: 'POST',
    path: '/storage_service/force_terminate_repair',
    group: 'repair',
    handle: (c) => {
      c.cluster.terminateRepairs(c.node, c.actor);
      return VOID;
    },
  },
  // ---- cleanup, flush, snapshots
  {
    method: 'POST',
    path: '/storage_service/keyspace_cleanup/{keyspace}',
    group: 'storage_service',
    handle: (c) => c.cluster.cleanup(c.node, requireKeyspace(c), c.actor),
  },
  {
    method: 'POST',
    path: '/storage_service/cleanup_all/',
    group: 'storage_service',
    handle: async (c) => {
      for (const ks of c.cluster.keyspaces) if (!isLocalStrategy(ks) && strategyName(ks.replication) !== 'EverywhereStrategy') await c.cluster.cleanup(c.node, ks.name, c.actor);
      return 0;
    },
  },
  {
    method: 'POST',
    path: '/storage_service/keyspace_flush/{keyspace}',
    group: 'storage_service',
    handle: async (c) => {
      await c.cluster.flush(c.node, requireKeyspace(c), c.actor);
      return VOID;
    },
  },
  {
    method: 'POST',
    path: '/storage_service/flush',
    group: 'storage_service',
    handle: async (c) => {
      await c.cluster.flush(c.node, undefined, c.actor);
      return VOID;
    },
  },
  {
    method: 'GET',
    path: '/storage_service/snapshots',
    group: 'snapshot',
    handle: (c) => [...c.node.snapshots].map(([key, value]) => ({ key, value: value.map((e) => ({ ...e })) })),
  },
  {
    method: 'POST',
    path: '/storage_service/snapshots',
    group: 'snapshot',
    handle: async (c) => {
      const tag = c.query.get('tag') || String(c.cluster.clock.now());
      await c.cluster.snapshot(c.node, tag, list(c.query.get('kn')), c.actor);
      return VOID;
    },
  },
  {
    method: 'DELETE',
    path: '/storage_service/snapshots',
    group: 'snapshot',
    handle: (c) => {
      c.cluster.deleteSnapshot(c.node, c.query.get('tag') ?? undefined, list(c.query.get('kn')), c.actor);
      return VOID;
    },
  },
  {
    method: 'GET',
    path: '/storage_service/snapshots/size/true',
    group: 'snapshot',
    handle: (c) => [...c.node.snapshots.values()].flat().reduce((a, e) => a + e.total - e.live, 0),
  },
  // ---- compaction_manager
  {
    method: 'GET',
    path: '/compaction_manager/compactions',
    group: 'compaction_manager',
    handle: (c) => {
      const user = c.cluster.keyspaces.filter((k) => !k.name.startsWith('system'));
      const out: unknown[] = [];
      const progress = c.cluster.compactionProgress(c.node);
      c.cluster.compactions(c.node).forEach((s, shard) => {
        const running = s.active - (shard === 0 ? c.node.cleanups.filter((x) => c.cluster.clock.now() < x.endAtMs && c.cluster.clock.now() >= x.startAtMs).length : 0);
        for (let i = 0; i < running; i++) {
          const ks = user[shard % Math.max(1, user.length)] ?? c.cluster.keyspaces[0]!;
          const cf = ks.tables?.[shard % (ks.tables?.length || 1)] ?? 't1';
          out.push({
            id: idFor(`${c.node.hostId}/${shard}/${s.completed}`),
            ks: ks.name,
            cf,
            completed: Math.floor(progress * 100000),
            total: 100000,
            task_type: 'COMPACTION',
            unit: 'keys',
          });
        }
      });
      for (const cl of c.node.cleanups) {
        const now = c.cluster.clock.now();
        if (now < cl.startAtMs || now >= cl.endAtMs) continue;
        const ks = c.cluster.keyspace(cl.ks)!;
        out.push({
          id: idFor(`${c.node.hostId}/cleanup/${cl.startAtMs}`),
          ks: cl.ks,
          cf: ks.tables?.[0] ?? 't1',
          completed: Math.floor(((now - cl.startAtMs) / (cl.endAtMs - cl.startAtMs)) * 100000),
          total: 100000,
          task_type: 'CLEANUP',
          unit: 'keys',
        });
      }
      return out;
    },
  },
  {
    method: 'GET',
    path: '/compaction_manager/metrics/pending_tasks',
    group: 'compaction_manager',
    handle: (c) => c.cluster.compactions(c.node).reduce((a, s) => a + s.pending + s.active, 0),
  },
  {
    method: 'GET',
    path: '/compaction_manager/metrics/pending_tasks_by_table',
    group: 'compaction_manager',
    handle: (c) => pendingByTable(c),
  },
  {
    method: 'GET',
    path: '/compaction_manager/metrics/completed_tasks',
    group: 'compaction_manager',
    handle: (c) => c.cluster.compactions(c.node).reduce((a, s) => a + s.completed, 0),
  },
  { method: 'GET', path: '/compaction_manager/metrics/total_compactions_completed', group: 'compaction_manager', handle: () => 0 },
  { method: 'GET', path: '/compaction_manager/metrics/bytes_compacted', group: 'compaction_manager', handle: () => 0 },
  { method: 'POST', path: '/compaction_manager/stop_compaction', group: 'compaction_manager', required: ['type'], handle: () => VOID },
  // ---- column_family
  {
    method: 'GET',
    path: '/column_family/metrics/pending_compactions',
    group: 'column_family',
    handle: (c) => c.cluster.compactions(c.node).reduce((a, s) => a + s.pending + s.active, 0),
  },
  {
    method: 'GET',
    path: '/column_family/metrics/pending_compactions/{name}',
    group: 'column_family',
    handle: (c) => {
      const [ks, cf] = c.params['name']!.split(':');
      const k = ks === undefined ? undefined : c.cluster.keyspace(ks);
      if (!k || !cf || !(k.tables ?? []).includes(cf)) throw new SimHttpError(400, `Column family '${c.params['name']}' not found`);
      return pendingByTable(c).find((e) => e.ks === ks && e.cf === cf)?.task ?? 0;
    },
  },
  {
    method: 'GET',
    path: '/column_family/name',
    group: 'column_family',
    handle: (c) => c.cluster.keyspaces.flatMap((k) => (k.tables ?? []).map((t) => `${k.name}:${t}`)),
  },
  // ---- task_manager
  {
    method: 'GET',
    path: '/task_manager/list_module_tasks/{module}',
    group: 'task_manager',
    handle: (c) => {
      const module = c.params['module']!;
      if (!TASK_MODULES.includes(module)) throw new SimHttpError(400, `module ${module} not found`);
      if (module === 'node_ops') return nodeOpsTasks(c.cluster); // issue 19: topology requests (topology-task-routes.ts)
      if (module !== 'repair') return [];
      const ks = c.query.get('keyspace');
      const table = c.query.get('table');
      if (table) return [];
      return [...c.node.repairs.values()]
        .filter((r) => ks === null || r.keyspace === ks)
        .map((r) => ({
          task_id: idFor(`${c.node.hostId}/repair/${c.node.boot}/${r.id}`),
          state: r.status === 'RUNNING' ? 'running' : r.status === 'FAILED' ? 'failed' : 'done',
          type: 'repair',
          kind: 'node',
          scope: 'keyspace',
          keyspace: r.keyspace,
          table: '',
          entity: '',
          sequence_number: r.id,
          shard: 0,
          start_time: isoSeconds(r.startAtMs),
          end_time: r.status === 'RUNNING' ? isoSeconds(0) : isoSeconds(r.endAtMs),
        }));
    },
  },
  // ---- system
  { method: 'GET', path: '/system/uptime_ms', group: 'system', handle: (c) => Math.max(0, c.cluster.clock.now() - c.node.bootAtMs) },
  ...topologyTaskRoutes(), // issue 19: task_status of topology requests (topology-task-routes.ts)
  ...raftTabletRoutes(VOID), // issue 15: raft leader_host / trigger_stepdown, tablets/balancing (raft-tablet-routes.ts)
];

const TASK_MODULES = ['compaction', 'snapshot', 'node_ops', 'repair', 'tablets', 'global_topology_requests', 'sstables_loader'];

function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function pendingByTable(c: Ctx): { cf: string; ks: string; task: number }[] {
  const user = c.cluster.keyspaces.filter((k) => !k.name.startsWith('system'));
  const tables = user.flatMap((k) => (k.tables ?? []).map((t) => ({ ks: k.name, cf: t })));
  const counts = new Map<string, number>();
  c.cluster.compactions(c.node).forEach((s, shard) => {
    const t = tables[shard % Math.max(1, tables.length)];
    if (!t) return;
    const key = `${t.ks}:${t.cf}`;
    counts.set(key, (counts.get(key) ?? 0) + s.pending + s.active);
  });
  return tables.map((t) => ({ cf: t.cf, ks: t.ks, task: counts.get(`${t.ks}:${t.cf}`) ?? 0 }));
}

function idFor(s: string): string {
  const h = [hash(s), hash(`a${s}`), hash(`b${s}`), hash(`c${s}`)].map((x) => x.toString(16).padStart(8, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------- matching

type Segment = { literal: string } | { param: string };
const compiled = SIM_ROUTES.map((r) => ({
  route: r,
  segments: normalize(r.path)
    .split('/')
    .slice(1)
    .map((s): Segment => {
      const m = /^\{([^}]+)\}$/.exec(s);
      return m ? { param: m[1]! } : { literal: s };
    }),
}));

function normalize(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Finds the simulator route for a method and concrete path (query excluded). */
export function matchSimRoute(method: string, path: string): { route: SimRoute; params: Record<string, string> } | undefined {
  const parts = normalize(path).split('/').slice(1);
  let best: { route: SimRoute; params: Record<string, string>; literals: number } | undefined;
  for (const c of compiled) {
    if (c.route.method !== method || c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let okMatch = true;
    for (let i = 0; i < parts.length; i++) {
      const s = c.segments[i]!;
      const p = parts[i]!;
      if ('literal' in s) {
        if (s.literal !== p) {
          okMatch = false;
          break;
        }
        literals++;
      } else {
        if (p === '') {
          okMatch = false;
          break;
        }
        try {
          params[s.param] = decodeURIComponent(p);
        } catch {
          params[s.param] = p;
        }
      }
    }
    if (okMatch && (!best || literals > best.literals)) best = { route: c.route, params, literals };
  }
  return best;
}

function reply(status: number, value: unknown): SimRestReply {
  const body = value === VOID ? '' : value instanceof RawJson ? value.text : JSON.stringify(value);
  return { status, body, contentType: 'application/json' };
}

/** Scylla's error body. */
export function errorReply(status: number, message: string): SimRestReply {
  return { status, body: JSON.stringify({ message, code: status }), contentType: 'application/json' };
}

/**
 * Answers one REST request the way the node would now: 404 `Not found` for unknown paths and for
 * API groups not registered yet, 400 for missing mandatory parameters, Scylla's `{message, code}`
 * error bodies, JSON-encoded results (strings quoted), empty bodies for `void`. Injected latency
 * and 5xx faults apply. Rejects with {@link SimConnectionError} when the node would not accept
 * the connection, or resets it (dies) while answering.
 */
export async function handleRestRequest(cluster: SimCluster, node: SimNode, method: string, url: string, actor: SimActor): Promise<SimRestReply> {
  cluster.sync();
  if (!cluster.apiAccepting(node)) throw new SimConnectionError('ECONNREFUSED', `connect ECONNREFUSED: node ${node.id} REST API is not listening`);
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const m = method.toUpperCase();
  const delay = cluster.faults.latencyMs(node.id, path);
  const boot = node.boot;
  if (delay > 0) {
    await cluster.clock.sleep(delay);
    cluster.sync();
    if (node.boot !== boot || !node.process) throw new SimConnectionError('ECONNRESET', `socket hang up: node ${node.id} went down`);
  }
  const injected = cluster.faults.apiError(node.id, m, path);
  if (injected) return errorReply(injected.status, injected.message);
  const match = matchSimRoute(m, path);
  if (!match || !node.groups.has(match.route.group)) return errorReply(404, 'Not found');
  for (const r of match.route.required ?? []) {
    if (query.get(r) === null) return errorReply(400, `Missing mandatory parameter '${r}'`);
  }
  try {
    const value = await match.route.handle({ cluster, node, params: match.params, query, actor });
    return reply(200, value);
  } catch (e) {
    if (e instanceof SimHttpError) return errorReply(e.status, e.message);
    if (e instanceof SimConnectionError) throw e;
    return errorReply(500, `std::runtime_error (${(e as Error).message})`);
  }
}
