import type { SimNode } from '../sim-node.js';
import { compareIp } from '../util.js';
import { loadOf, RELEASE_VERSION, type SimRouteContext, type SimRoute } from './sim-route.js';

function endpointStatus(c: SimRouteContext, n: SimNode): string {
  if (n.shutdownAnnounced || !n.gossipUp) return 'shutdown,true';
  const s = c.cluster.topology.state(n.id);
  const first = c.cluster.topology.tokensOf(n.id)[0] ?? '0';
  return s === 'leaving' ? `LEAVING,${first}` : `NORMAL,${first}`;
}

function heartbeat(c: SimRouteContext, n: SimNode): number {
  return Math.max(0, Math.floor((c.cluster.clock.now() - n.bootAtMs) / 1000));
}

/** What a node sees of its peers: `gossiper` and `failure_detector` routes, and the schema versions of `storage_proxy`. */
export const gossipRoutes: readonly SimRoute[] = [
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
];
