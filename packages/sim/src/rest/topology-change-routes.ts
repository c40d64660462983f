import { VOID } from '../rest-reply.js';
import type { SimRoute } from './sim-route.js';

/** `storage_service` routes that change the cluster's membership: decommission, removenode, rebuild, and the removal status. */
export const topologyChangeRoutes: readonly SimRoute[] = [
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
];
