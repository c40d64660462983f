import { classifyError, UnrecoverableError, type BaseContext, type InventoryNode } from '@scylla-cp/core';
import type { ScyllaApiClient } from '../client/scylla-api-client.js';
import { asLong, asObject, asString, decodeArrayOf, type ScyllaDecoder } from '../client/decoders.js';
import type { ScyllaClientRoute } from '../client/scylla-client-routes.js';
import { askMember } from './ask-member.js';
import { coordinatorDetails, describeCoordinator, topologyCoordinatorHost } from './topology-coordinator-host.js';

export { askMember, clusterMembers } from './ask-member.js';

/**
 * Topology operations as ScyllaDB shows them: virtual tasks of the task manager's `node_ops`
 * module (`GET /task_manager/list_module_tasks/node_ops`), one per topology request, whose id is
 * the request's id, `type` the operation (`bootstrap`, `replace`, `decommission`, `removenode`,
 * `rebuild`), `entity` the host id of the node the request is about, and `state` `created`
 * (queued), `running`, `done` or `failed`; `GET /task_manager/task_status/{task_id}` adds `error`,
 * the topology coordinator's reason. Every node answers for the whole cluster, so this file asks
 * a member of the cluster (not the node in transition, which may die).
 */

/** One topology task (`task_stats` of the `node_ops` module). */
export interface TopologyTask {
  readonly taskId: string;
  /** `created`, `running`, `done`, `failed` (or `suspended`). */
  readonly state: string;
  /** `bootstrap`, `replace`, `decommission`, `removenode`, `rebuild`. */
  readonly type: string;
  /** Host id of the node the request is about (for replace: the new node). */
  readonly entity: string;
  readonly sequenceNumber: number;
}

/** A topology task's status (`task_status`): its state and the coordinator's reason. */
export interface TopologyTaskStatus extends TopologyTask {
  /** Empty unless failed. */
  readonly error: string;
  /** `progress_total`: units to do (the simulator: 100, streaming percent); 0 when not reported. */
  readonly progressTotal: number;
  /** `progress_completed`: units done so far; 0 when not reported. */
  readonly progressCompleted: number;
}

const decodeTask = (v: unknown): TopologyTask => {
  const o = asObject(v);
  return {
    taskId: asString(o.task_id ?? o.id),
    state: asString(o.state),
    type: asString(o.type),
    entity: typeof o.entity === 'string' ? o.entity : '',
    sequenceNumber: typeof o.sequence_number === 'number' ? o.sequence_number : asLong(o.sequence_number ?? 0),
  };
};
const decodeTasks: ScyllaDecoder<TopologyTask[]> = decodeArrayOf('task_stats objects', decodeTask);
const decodeStatus: ScyllaDecoder<TopologyTaskStatus> = (body) => {
  const v = JSON.parse(body) as unknown;
  const o = asObject(v);
  const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return { ...decodeTask(v), error: typeof o.error === 'string' ? o.error : '', progressTotal: num(o.progress_total), progressCompleted: num(o.progress_completed) };
};

/** The REST routes of this file, exactly as ScyllaDB's API definitions declare them (checked by the route fidelity test). */
export const TOPOLOGY_TASK_ROUTES = Object.freeze({
  moduleTasks: Object.freeze<ScyllaClientRoute<TopologyTask[]>>({
    method: 'GET',
    path: '/task_manager/list_module_tasks/{module}',
    responseType: 'array<task_stats>',
    decode: decodeTasks,
  }),
  taskStatus: Object.freeze<ScyllaClientRoute<TopologyTaskStatus>>({
    method: 'GET',
    path: '/task_manager/task_status/{task_id}',
    responseType: 'task_status',
    decode: decodeStatus,
  }),
});

/** The task-manager module of topology operations. */
export const NODE_OPS_MODULE = 'node_ops';

/** The topology tasks every node reports, newest last. */
export async function topologyTasks(api: ScyllaApiClient, signal?: AbortSignal): Promise<TopologyTask[]> {
  const tasks = await api.call(TOPOLOGY_TASK_ROUTES.moduleTasks, { path: { module: NODE_OPS_MODULE } }, { ...(signal ? { signal } : {}) });
  return [...tasks].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
}

/** The newest topology task about `hostId` (of one of `types`, when given), from a member. */
export async function findTopologyTask(ctx: BaseContext, except: InventoryNode | undefined, hostId: string, types?: readonly string[]): Promise<TopologyTask | undefined> {
  const tasks = await askMember(ctx, except, (api) => topologyTasks(api, ctx.signal));
  return tasks.filter((t) => t.entity === hostId && (!types || types.includes(t.type))).pop();
}

/** Options of {@link waitTopologyTask}. */
export interface WaitTopologyTaskOptions {
  /** Milliseconds between polls (job clock). @default 5000 */
  pollMs?: number;
  /** Names the operation in errors, e.g. `n7: bootstrap`. */
  what: string;
  /** The node in transition (not asked). */
  except?: InventoryNode;
}

/**
 * The open topology tasks (`created` or `running`) admitted before `task` (by sequence number):
 * what a queued request waits for. The coordinator runs one node operation at a time.
 */
export function tasksAhead(tasks: readonly TopologyTask[], task: TopologyTask): TopologyTask[] {
  return tasks.filter((t) => t.taskId !== task.taskId && t.sequenceNumber < task.sequenceNumber && (t.state === 'created' || t.state === 'running'));
}

/** `bootstrap of n7 (running)`: a task for messages, its entity (host id) shown as the inventory node when `nodeOf` knows it. */
export function describeTask(t: TopologyTask, nodeOf: (hostId: string) => string | undefined = () => undefined): string {
  return `${t.type} of ${nodeOf(t.entity) ?? t.entity} (${t.state === 'created' ? 'queued' : t.state})`;
}

/** What a waiting operator wants to know besides the state: what it is queued behind, and where the coordinator runs. */
async function waitingNote(ctx: BaseContext, taskId: string, state: string, except: InventoryNode | undefined): Promise<string> {
  const parts: string[] = [];
  if (state === 'created') {
    try {
      const tasks = await askMember(ctx, except, (api) => topologyTasks(api, ctx.signal));
      const self = tasks.find((t) => t.taskId === taskId);
      const ahead = self ? tasksAhead(tasks, self) : [];
      if (ahead.length > 0) parts.push(`queued behind ${ahead.map((t) => describeTask(t)).join(', ')}`);
    } catch {
      // the listing is a nicety; the wait goes on
    }
  }
  parts.push(describeCoordinator(await topologyCoordinatorHost(ctx, except)));
  return parts.join('; ');
}

/**
 * Polls `GET /task_manager/task_status/{taskId}` on a member until the task is `done` (resolves
 * with its status) or `failed`. Each change of state is logged with what the request is queued
 * behind (when `created`) and where the topology coordinator runs (`GET /raft/leader_host`).
 *
 * @throws UnrecoverableError code `TOPOLOGY_REQUEST_FAILED` with the coordinator's reason (its
 *   `details.reason`) and the coordinator's node (`details.coordinator`: `hostId`, `address`,
 *   `node`) when the request failed or was refused: the coordinator already rolled it back, so
 *   retrying the same step cannot help.
 */
export async function waitTopologyTask(ctx: BaseContext, taskId: string, options: WaitTopologyTaskOptions): Promise<TopologyTaskStatus> {
  const pollMs = options.pollMs ?? 5000;
  let seen: string | undefined;
  for (;;) {
    let status: TopologyTaskStatus | undefined;
    try {
      status = await askMember(ctx, options.except, (api) => api.call(TOPOLOGY_TASK_ROUTES.taskStatus, { path: { task_id: taskId } }, { signal: ctx.signal }));
    } catch (e) {
      if (classifyError(e) !== 'recoverable') throw e;
      ctx.logger.info(`${options.what}: topology request ${taskId} not readable now (${(e as Error).message}); polling again`);
    }
    if (status?.state === 'done') return status;
    if (status?.state === 'failed') {
      const coordinator = await topologyCoordinatorHost(ctx, options.except);
      const details = coordinatorDetails(coordinator);
      throw new UnrecoverableError(`${options.what} failed in the topology coordinator: ${status.error || 'no reason given'} (topology request ${taskId}; ${describeCoordinator(coordinator)})`, {
        code: 'TOPOLOGY_REQUEST_FAILED',
        details: { taskId, type: status.type, entity: status.entity, reason: status.error, ...(details ? { coordinator: details } : {}) },
      });
    }
    if (status && status.state !== seen) {
      seen = status.state;
      ctx.logger.info(`${options.what}: topology request ${taskId} is ${status.state}; ${await waitingNote(ctx, taskId, status.state, options.except)}`);
    }
    await ctx.clock.sleep(pollMs, ctx.signal);
  }
}

/**
 * The coordinator's reason when the newest topology task of `type` about `hostId` failed;
 * `undefined` when there is none, it did not fail, or no member could tell (never throws).
 */
export async function failedTopologyReason(ctx: BaseContext, except: InventoryNode | undefined, hostId: string, type: string): Promise<{ taskId: string; reason: string } | undefined> {
  try {
    const task = await findTopologyTask(ctx, except, hostId, [type]);
    if (!task || task.state !== 'failed') return undefined;
    const status = await askMember(ctx, except, (api) => api.call(TOPOLOGY_TASK_ROUTES.taskStatus, { path: { task_id: task.taskId } }, { signal: ctx.signal }));
    return { taskId: task.taskId, reason: status.error || 'no reason given' };
  } catch {
    return undefined;
  }
}

/**
 * Runs a blocking topology call (`POST /storage_service/decommission`, `remove_node`); when it
 * fails and the node's newest topology task of `type` failed, throws `UnrecoverableError`
 * `TOPOLOGY_REQUEST_FAILED` with the coordinator's reason and where the coordinator runs
 * (`details.coordinator`; the call's error as its cause), since the coordinator already rolled
 * the operation back; otherwise rethrows the call's error.
 */
export async function withCoordinatorReason<T>(
  ctx: BaseContext,
  call: () => Promise<T>,
  o: { what: string; type: string; hostId: () => Promise<string>; except?: InventoryNode },
): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    let hostId: string;
    try {
      hostId = await o.hostId();
    } catch {
      throw e;
    }
    const failed = await failedTopologyReason(ctx, o.except, hostId, o.type);
    if (!failed) throw e;
    const coordinator = await topologyCoordinatorHost(ctx, o.except);
    const details = coordinatorDetails(coordinator);
    throw new UnrecoverableError(`${o.what} failed in the topology coordinator: ${failed.reason} (topology request ${failed.taskId}; ${describeCoordinator(coordinator)})`, {
      code: 'TOPOLOGY_REQUEST_FAILED',
      cause: e,
      details: { taskId: failed.taskId, type: o.type, entity: hostId, reason: failed.reason, ...(details ? { coordinator: details } : {}) },
    });
  }
}
