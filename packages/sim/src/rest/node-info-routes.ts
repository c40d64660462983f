import { isLocalStrategy } from '../replication.js';
import { SimHttpError } from '../sim-errors.js';
import { loadOf, tokenOwners, type SimRoute } from './sim-route.js';

/** `storage_service` routes about the node's data: keyspaces, load, load map, compaction throughput. */
export const nodeInfoRoutes: readonly SimRoute[] = [
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
];

/** `system` routes: the process uptime. */
export const systemRoutes: readonly SimRoute[] = [
  { method: 'GET', path: '/system/uptime_ms', group: 'system', handle: (c) => Math.max(0, c.cluster.clock.now() - c.node.bootAtMs) },
];
