import { cleanupAllRoutes } from './rest/cleanup-all-routes.js';
import { compactionRoutes } from './rest/compaction-routes.js';
import { gossipRoutes } from './rest/gossip-routes.js';
import { keyspaceMaintenanceRoutes } from './rest/keyspace-maintenance-routes.js';
import { lifecycleRoutes } from './rest/lifecycle-routes.js';
import { nodeInfoRoutes, systemRoutes } from './rest/node-info-routes.js';
import { repairRoutes } from './rest/repair-routes.js';
import { errorReply, reply, type SimRestReply } from './rest-reply.js';
import { ringRoutes } from './rest/ring-routes.js';
import type { SimRoute } from './rest/sim-route.js';
import { taskManagerRoutes } from './rest/task-manager-routes.js';
import { topologyChangeRoutes } from './rest/topology-change-routes.js';
import type { SimClusterControl } from './sim-cluster-view.js';
import { SimConnectionError, SimHttpError } from './sim-errors.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import { topologyTaskRoutes } from './rest/topology-task-routes.js';
import { raftTabletRoutes } from './rest/raft-tablet-routes.js';

export { errorReply, type SimRestReply } from './rest-reply.js';
export type { SimRoute } from './rest/sim-route.js';

/**
 * Every route the simulator serves, with the API group that must be registered for it to answer.
 * Paths are the templates of ScyllaDB's API definitions (the fidelity test checks each one
 * against the route manifest of `@scylla-cp/tasks-scylla`). Each group lives in `rest/`.
 */
export const SIM_ROUTES: readonly SimRoute[] = [
  ...lifecycleRoutes,
  ...topologyChangeRoutes,
  ...nodeInfoRoutes,
  ...ringRoutes,
  ...gossipRoutes,
  ...repairRoutes,
  ...keyspaceMaintenanceRoutes,
  ...cleanupAllRoutes, // issue 16: cleanup_all?global= and raft/read_barrier (cleanup-all-routes.ts)
  ...compactionRoutes,
  ...taskManagerRoutes,
  ...systemRoutes,
  ...topologyTaskRoutes(), // issue 19: task_status of topology requests (topology-task-routes.ts)
  ...raftTabletRoutes(), // issue 15: raft leader_host / trigger_stepdown, tablets/balancing (raft-tablet-routes.ts)
];

// ---------------------------------------------------------------- matching

type Segment = { literal: string } | { param: string };
const compiled = SIM_ROUTES.map((r) => ({
  route: r,
  segments: normalize(r.path)
    .split('/')
    .slice(1)
    .map((s): Segment => {
      const m = /^\{([^}]+)\}$/.exec(s);
      return m ? { param: m[1]! } : { literal: s };
    }),
}));

function normalize(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Finds the simulator route for a method and concrete path (query excluded). */
export function matchSimRoute(method: string, path: string): { route: SimRoute; params: Record<string, string> } | undefined {
  const parts = normalize(path).split('/').slice(1);
  let best: { route: SimRoute; params: Record<string, string>; literals: number } | undefined;
  for (const c of compiled) {
    if (c.route.method !== method || c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let okMatch = true;
    for (let i = 0; i < parts.length; i++) {
      const s = c.segments[i]!;
      const p = parts[i]!;
      if ('literal' in s) {
        if (s.literal !== p) {
          okMatch = false;
          break;
        }
        literals++;
      } else {
        if (p === '') {
          okMatch = false;
          break;
        }
        try {
          params[s.param] = decodeURIComponent(p);
        } catch {
          params[s.param] = p;
        }
      }
    }
    if (okMatch && (!best || literals > best.literals)) best = { route: c.route, params, literals };
  }
  return best;
}

/**
 * Answers one REST request the way the node would now: 404 `Not found` for unknown paths and for
 * API groups not registered yet, 400 for missing mandatory parameters, Scylla's `{message, code}`
 * error bodies, JSON-encoded results (strings quoted), empty bodies for `void`. Injected latency
 * and 5xx faults apply. Rejects with {@link SimConnectionError} when the node would not accept
 * the connection, or resets it (dies) while answering.
 */
export async function handleRestRequest(cluster: SimClusterControl, node: SimNode, method: string, url: string, actor: SimActor): Promise<SimRestReply> {
  cluster.sync();
  if (!cluster.apiAccepting(node)) throw new SimConnectionError('ECONNREFUSED', `connect ECONNREFUSED: node ${node.id} REST API is not listening`);
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const m = method.toUpperCase();
  const delay = cluster.faults.latencyMs(node.id, path);
  const boot = node.boot;
  if (delay > 0) {
    await cluster.clock.sleep(delay);
    cluster.sync();
    if (node.boot !== boot || !node.process) throw new SimConnectionError('ECONNRESET', `socket hang up: node ${node.id} went down`);
  }
  const injected = cluster.faults.apiError(node.id, m, path);
  if (injected) return errorReply(injected.status, injected.message);
  const match = matchSimRoute(m, path);
  if (!match || !node.groups.has(match.route.group)) return errorReply(404, 'Not found');
  for (const r of match.route.required ?? []) {
    if (query.get(r) === null) return errorReply(400, `Missing mandatory parameter '${r}'`);
  }
  try {
    const value = await match.route.handle({ cluster, node, params: match.params, query, actor });
    return reply(200, value);
  } catch (e) {
    if (e instanceof SimHttpError) return errorReply(e.status, e.message);
    if (e instanceof SimConnectionError) throw e;
    return errorReply(500, `std::runtime_error (${(e as Error).message})`);
  }
}
