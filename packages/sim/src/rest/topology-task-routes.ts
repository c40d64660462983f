import type { TopologyRequest } from '@scylla-cp/raft';
import { RaftSimTopology } from '../raft-sim-topology.js';
import type { SimClusterView as SimCluster } from '../sim-cluster-view.js';
import { VOID } from '../rest-reply.js';
import { SimHttpError } from '../sim-errors.js';
import { taskIdFor, type SimRoute } from './sim-route.js';

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
  return taskIdFor(`${cluster.options.name}/topology/${requestId}`);
}

function requests(cluster: SimCluster): TopologyRequest[] {
  if (!(cluster.topology instanceof RaftSimTopology)) return [];
  return Object.values(cluster.topology.current.requests).sort((a, b) => a.seq - b.seq);
}

function hostIdOf(cluster: SimCluster, nodeId: string): string {
  return cluster.nodes.find((n) => n.id === nodeId)?.hostId ?? nodeId;
}

/** A `datetime` as ScyllaDB's task manager prints it (seconds precision, UTC). */
function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * The simulation's time of a stamp on the request (`startedAt`, `endedAt`: milliseconds of the
 * topology group's clock, which is the simulation's shifted to start at 0); the epoch when unset,
 * as ScyllaDB leaves `start_time` of a task not started and `end_time` of one not ended.
 */
function timeOf(cluster: SimCluster, raftMs: number | undefined): string {
  const topo = cluster.topology;
  if (raftMs === undefined || !(topo instanceof RaftSimTopology)) return isoSeconds(0);
  return isoSeconds(topo.group.clock.simTimeOf(raftMs));
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
    start_time: timeOf(cluster, r.startedAt),
    end_time: timeOf(cluster, r.endedAt),
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

/**
 * Whether a topology request can be aborted through `POST /task_manager/abort_task/{task_id}`:
 * ScyllaDB's `topology_state_machine::abort_request` aborts only requests the coordinator has
 * not started, and never a `join` or `replace` (a joining node cannot be told to stop joining).
 */
export function isAbortable(r: TopologyRequest): boolean {
  return r.status === 'pending' && r.kind !== 'join' && r.kind !== 'replace';
}

function findRequest(cluster: SimCluster, taskId: string): TopologyRequest {
  const r = requests(cluster).find((x) => topologyTaskId(cluster, x.id) === taskId);
  if (!r) throw new SimHttpError(400, `task with id ${taskId} not found`);
  return r;
}

/** The `task_status` of a topology request (the model of ScyllaDB's task manager API). */
function taskStatus(cluster: SimCluster, r: TopologyRequest): Record<string, unknown> {
  const { task_id, ...rest } = stats(cluster, r);
  return {
    id: task_id,
    ...rest,
    is_abortable: isAbortable(r),
    error: r.status === 'failed' || r.status === 'rejected' ? (r.reason ?? r.code ?? r.status) : '',
    parent_id: 'none',
    ...progressOf(cluster, r),
    children_ids: [],
  };
}

/** Resolves once `taskId`'s request is final, or after `timeoutMs` of the cluster's clock (then `false`). */
async function waitFinal(cluster: SimCluster, taskId: string, timeoutMs: number): Promise<boolean> {
  const topo = cluster.topology;
  if (!(topo instanceof RaftSimTopology)) return false;
  const final = (): boolean => stateOf(findRequest(cluster, taskId)) === 'done' || stateOf(findRequest(cluster, taskId)) === 'failed';
  if (final()) return true;
  const ac = new AbortController();
  let off: (() => void) | undefined;
  try {
    return await new Promise<boolean>((resolve) => {
      off = topo.onChange(() => {
        if (final()) resolve(true);
      });
      cluster.clock.sleep(timeoutMs, ac.signal).then(
        () => resolve(final()),
        () => {},
      );
    });
  } finally {
    off?.();
    ac.abort();
  }
}

/**
 * The task-manager routes of topology requests (module `node_ops`), as ScyllaDB's
 * `task_manager.json` declares them; ids that are not topology requests answer 400, as
 * ScyllaDB does for an unknown task:
 *
 * - `GET /task_manager/task_status/{task_id}`: `task_status` (`error`: the coordinator's reason;
 *   `is_abortable`: see {@link isAbortable}; progress: streaming percent).
 * - `GET /task_manager/task_status_recursive/{task_id}`: the same, as a one-element array (a
 *   topology request has no child tasks).
 * - `GET /task_manager/wait_task/{task_id}[?timeout=<seconds>]`: waits until the request is
 *   done or failed and answers its `task_status`; 408 when `timeout` passes first.
 * - `POST /task_manager/abort_task/{task_id}`: aborts a pending leave, remove or rebuild
 *   request through the topology group (it ends `failed` with `aborted by the user`); 403 for
 *   a request that is not abortable (started, finished, or a join/replace).
 */
export function topologyTaskRoutes(): SimRoute[] {
  return [
    {
      method: 'GET',
      path: '/task_manager/task_status/{task_id}',
      group: 'task_manager',
      handle: (c) => taskStatus(c.cluster, findRequest(c.cluster, c.params['task_id']!)),
    },
    {
      method: 'GET',
      path: '/task_manager/task_status_recursive/{task_id}',
      group: 'task_manager',
      handle: (c) => [taskStatus(c.cluster, findRequest(c.cluster, c.params['task_id']!))],
    },
    {
      method: 'GET',
      path: '/task_manager/wait_task/{task_id}',
      group: 'task_manager',
      handle: async (c) => {
        const id = c.params['task_id']!;
        findRequest(c.cluster, id);
        const t = c.query.get('timeout');
        const seconds = t === null ? undefined : Number(t);
        if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 0)) throw new SimHttpError(400, `Invalid value for long parameter timeout: '${t}'`);
        // ScyllaDB waits without a limit when no timeout is given; the simulator bounds it at a day
        const done = await waitFinal(c.cluster, id, seconds === undefined ? 86_400_000 : seconds * 1000);
        c.cluster.sync();
        if (!done) throw new SimHttpError(408, `timed out waiting for task ${id}`);
        return taskStatus(c.cluster, findRequest(c.cluster, id));
      },
    },
    {
      method: 'POST',
      path: '/task_manager/abort_task/{task_id}',
      group: 'task_manager',
      handle: async (c) => {
        const id = c.params['task_id']!;
        const r = findRequest(c.cluster, id);
        const topo = c.cluster.topology;
        if (!isAbortable(r) || !(topo instanceof RaftSimTopology)) throw new SimHttpError(403, `task ${id} is not abortable (${TYPE_OF[r.kind]} ${stateOf(r)})`);
        try {
          await topo.abortRequest(r.id);
        } catch (e) {
          // it started (or ended) meanwhile
          throw new SimHttpError(403, `task ${id} is not abortable: ${(e as Error).message}`);
        }
        c.cluster.log(c.node, c.actor, 'topology-request-aborted', { request: r.id, type: TYPE_OF[r.kind], node: r.nodeId });
        return VOID;
      },
    },
  ];
}
