import { restMode } from '../sim-node.js';
import { VOID } from '../rest-reply.js';
import { RELEASE_VERSION, type SimRoute } from './sim-route.js';

const MODE_ORDER = ['NONE', 'STARTING', 'JOINING', 'BOOTSTRAP', 'NORMAL', 'LEAVING', 'DECOMMISSIONED', 'MOVING', 'DRAINING', 'DRAINED', 'MAINTENANCE'];

/** `storage_service` routes of a node's life: operation mode, drain, gossip and native transport on/off, versions and names. */
export const lifecycleRoutes: readonly SimRoute[] = [
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
];
