import { SimHttpError } from '../sim-errors.js';
import { VOID } from '../rest-reply.js';
import type { SimRoute } from './sim-route.js';

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

/** Repair routes: start (`repair_async`), status, long-poll, active repairs, terminate. */
export const repairRoutes: readonly SimRoute[] = [
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
];
