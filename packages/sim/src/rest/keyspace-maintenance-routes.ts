import { VOID } from '../rest-reply.js';
import { requireKeyspace, type SimRoute } from './sim-route.js';

function list(v: string | null): string[] | undefined {
  if (v === null || v === '') return undefined;
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Keyspace maintenance routes: keyspace cleanup (`cleanup_all` is in cleanup-all-routes.ts), flush, and snapshots (take, list, delete, size). */
export const keyspaceMaintenanceRoutes: readonly SimRoute[] = [
  {
    method: 'POST',
    path: '/storage_service/keyspace_cleanup/{keyspace}',
    group: 'storage_service',
    handle: (c) => c.cluster.cleanup(c.node, requireKeyspace(c), c.actor),
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
];
