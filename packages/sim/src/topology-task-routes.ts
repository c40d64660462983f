import type { TopologyRequest } from '@scylla-cp/raft';
import { RaftSimTopology } from './raft-sim-topology.js';
import type { SimRoute } from './rest/sim-route.js';
import type { SimClusterView as SimCluster } from './sim-cluster-view.js';
import { SimHttpError } from './sim-errors.js';
import { hash } from './util.js';

/**
 * ScyllaDB shows topology operations (bootstrap, replace, decommission, removenode, rebuild) as
 * virtual tasks of the task manager's `node_ops` module: the task id is the topology request's
 * id, `entity` the host id of the node the request is about, `state` follows the request
 * (`created` while queued, `running`, `done`, `failed`), and `error` holds the coordinator's
 * reason. These helpers derive them from the simulator's Raft topology state.
 */
const TYPE_OF: Record<TopologyRequest['kind'], string> = { join: 'bootstrap', replace: 'replace', leave: 'decommission', remove: 'removenode', rebuild: 'rebuild' };

/** The task-manager state of a topology request. */
function stateOf(r: TopologyRequest): 'created' | 'running' | 'done' | 'failed' {
  return r.status === 'pending' ? 'created' : r.status === 'running' ? 'running' : r.status === 'done' ? 'done' : 'failed';
}

/** A UUID-shaped task id for a request, stable for the cluster's lifetime. */
export function topologyTaskId(cluster: SimCluster, requestId: string): string {
  const s = `${cluster.options.name}/topology/${requestId}`;
  const h = [hash(s), hash(`a${s}`), hash(`b${s}`), hash(`c${s}`)].map((x) => x.toString(16).padStart(8, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function requests(cluster: SimCluster): TopologyRequest[] {
  if (!(cluster.topology instanceof RaftSimTopology)) return [];
  return Object.values(cluster.topology.current.requests).sort((a, b) => a.seq - b.seq);
}

function hostIdOf(cluster: SimCluster, nodeId: string): string {
  return cluster.nodes.find((n) => n.id === nodeId)?.hostId ?? nodeId;
}

function stats(cluster: SimCluster, r: TopologyRequest): Record<string, unknown> {
  return {
    task_id: topologyTaskId(cluster, r.id),
    state: stateOf(r),
    type: TYPE_OF[r.kind],
    kind: 'cluster',
    scope: 'cluster',
    keyspace: '',
    table: '',
    entity: hostIdOf(cluster, r.nodeId),
    sequence_number: r.seq,
    shard: 0,
    start_time: '1970-01-01T00:00:00Z',
    end_time: '1970-01-01T00:00:00Z',
  };
}

/**
 * The streaming progress of a request, in percent of its streaming time on the simulation's clock
 * (`progress_units` `percent`, `progress_total` 100): 0 while queued or before streaming, rising
 * while its nodes stream, frozen while streaming is stalled, 100 once done.
 */
function progressOf(cluster: SimCluster, r: TopologyRequest): { progress_units: string; progress_total: number; progress_completed: number } {
  const p = cluster.streamingPercent(r.id);
  const completed = r.status === 'done' ? 100 : (p?.completed ?? 0);
  return { progress_units: 'percent', progress_total: 100, progress_completed: completed };
}

/** `GET /task_manager/list_module_tasks/node_ops`: the topology requests the group retains. */
export function nodeOpsTasks(cluster: SimCluster): Record<string, unknown>[] {
  return requests(cluster).map((r) => stats(cluster, r));
}

/** `GET /task_manager/task_status/{task_id}` for topology requests (other ids: 400, as ScyllaDB answers for an unknown task). */
export function topologyTaskRoutes(): SimRoute[] {
  return [
    {
      method: 'GET',
      path: '/task_manager/task_status/{task_id}',
      group: 'task_manager',
      handle: (c) => {
        const id = c.params['task_id']!;
        const r = requests(c.cluster).find((x) => topologyTaskId(c.cluster, x.id) === id);
        if (!r) throw new SimHttpError(400, `task with id ${id} not found`);
        const { task_id, ...rest } = stats(c.cluster, r);
        return {
          id: task_id,
          ...rest,
          is_abortable: false,
          error: r.status === 'failed' || r.status === 'rejected' ? (r.reason ?? r.code ?? r.status) : '',
          parent_id: 'none',
          ...progressOf(c.cluster, r),
          children_ids: [],
        };
      },
    },
  ];
}
