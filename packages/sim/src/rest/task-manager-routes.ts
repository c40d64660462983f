import { SimHttpError } from '../sim-errors.js';
import { nodeOpsTasks } from './topology-task-routes.js';
import { taskIdFor, type SimRoute } from './sim-route.js';

const TASK_MODULES = ['compaction', 'snapshot', 'node_ops', 'repair', 'tablets', 'global_topology_requests', 'sstables_loader'];

function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** `task_manager` module listings: repairs of the node, and (module `node_ops`) the topology requests. */
export const taskManagerRoutes: readonly SimRoute[] = [
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
          task_id: taskIdFor(`${c.node.hostId}/repair/${c.node.boot}/${r.id}`),
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
];
