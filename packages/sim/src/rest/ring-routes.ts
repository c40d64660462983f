import { runtimeError, SimHttpError } from '../sim-errors.js';
import { compareIp } from '../util.js';
import { RawJson } from '../rest-reply.js';
import { requireKeyspace, tokenOwners, type SimRoute } from './sim-route.js';

/** describe_ring replies per replica-set array (recomputed only when the ring changes). */
const ringReplies = new WeakMap<object, RawJson>();
const SNITCH = 'org.apache.cassandra.locator.GossipingPropertyFileSnitch';

/** Token ownership and placement: `token_metadata` routes, `describe_ring`, and the snitch. */
export const ringRoutes: readonly SimRoute[] = [
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
];
