import { isFinalStatus, outcomeOf, type TopologyOutcome } from '@scylla-cp/raft';
import { cleanupNodeData } from '../raft-sim-cleanup.js';
import { RaftSimTopology } from '../raft-sim-topology.js';
import { VOID } from '../rest-reply.js';
import { runtimeError, SimHttpError } from '../sim-errors.js';
import type { SimRoute, SimRouteContext } from './sim-route.js';

function boolParam(c: SimRouteContext, name: string, dflt: boolean): boolean {
  const v = c.query.get(name);
  if (v === null || v === '') return dflt;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new SimHttpError(400, `Invalid value for boolean parameter ${name}: '${v}'`);
}

/** Waits on the simulated cluster's clock for the final outcome of global request `id`. */
async function globalOutcome(topology: RaftSimTopology, id: string, maxMs: number, c: SimRouteContext): Promise<TopologyOutcome> {
  const group = topology.group;
  const final = (): TopologyOutcome | undefined => {
    const g = group.state().globalRequests[id];
    return g && isFinalStatus(g.status) ? outcomeOf(g) : undefined;
  };
  let found = final();
  if (found) return found;
  let off = (): void => {};
  const applied = new Promise<TopologyOutcome>((resolve) => {
    off = group.onApply((_cmd, _r, state) => {
      const g = state.globalRequests[id];
      if (g && isFinalStatus(g.status)) resolve(outcomeOf(g));
    });
  });
  const ac = new AbortController();
  try {
    const timeout = c.cluster.clock.sleep(maxMs, ac.signal).then(() => undefined, () => undefined);
    found = await Promise.race([applied, timeout]);
    if (!found) throw runtimeError(`global cleanup ${id} not finished within ${maxMs} ms; the topology coordinator keeps working on it`);
    return found;
  } finally {
    off();
    ac.abort();
  }
}

/** With a Raft topology, marks the asked node's cleanup `clean` (a `mark_clean` command through its replica). */
async function markClean(c: SimRouteContext): Promise<void> {
  const topology = c.cluster.topology;
  if (!(topology instanceof RaftSimTopology)) return;
  let r;
  try {
    r = await topology.group.node(c.node.id).log.propose({ type: 'mark_clean', nodeId: c.node.id });
  } catch (e) {
    throw runtimeError(`mark_node_as_clean: ${(e as Error).message}`);
  }
  if (!r.ok) throw runtimeError(`mark_node_as_clean: ${r.reason}`);
  if (r.changed) c.cluster.log(c.node, c.actor, 'mark-clean', {});
}

/**
 * `POST /storage_service/cleanup_all/?global=` (answers `long` 0 when done). `global=true`
 * (ScyllaDB's default; `nodetool cluster cleanup`): with a Raft topology, a global `cleanup`
 * request through the topology coordinator, which cleans every node whose cleanup is `needed`
 * (their agents do {@link cleanupNodeData}); a rejected or failed request is a 500 with the
 * coordinator's reason. With `{ topology: 'memory' }` (no cleanup state) every running node
 * that owns tokens is cleaned directly. `global=false` (`nodetool cleanup`): cleans this node only, then (Raft
 * topology) marks it clean. `POST /storage_service/mark_node_as_clean` (void): only the marking.
 *
 * `POST /raft/read_barrier?group_id=&timeout=` (`timeout` in seconds, default 60): a read
 * barrier on this node's replica of the topology log (group0); answers `""`. Without a Raft
 * topology it answers at once.
 */
export const cleanupAllRoutes: readonly SimRoute[] = [
  {
    method: 'POST',
    path: '/storage_service/cleanup_all/',
    group: 'storage_service',
    handle: async (c) => {
      const global = boolParam(c, 'global', true);
      const topology = c.cluster.topology;
      if (!global) {
        await cleanupNodeData(c.cluster, c.node, c.actor);
        await markClean(c);
        return 0;
      }
      if (topology instanceof RaftSimTopology) {
        c.cluster.log(c.node, c.actor, 'cleanup-all', { global: true });
        const member = topology.group.node(c.node.id);
        let r;
        try {
          r = await member.client.submitGlobal('cleanup');
        } catch (e) {
          throw runtimeError(`cleanup_all: ${(e as Error).message}`);
        }
        const outcome = isFinalStatus(r.status) ? outcomeOf(r) : await globalOutcome(topology, r.id, 600_000, c);
        if (outcome.status !== 'done') throw runtimeError(`cleanup_all: global cleanup ${outcome.requestId} ${outcome.status}: ${outcome.reason ?? outcome.code ?? 'no reason'}`);
        return 0;
      }
      c.cluster.log(c.node, c.actor, 'cleanup-all', { global: true });
      const owners = c.cluster.nodes.filter((n) => n.process && topology.state(n.id) === 'normal');
      await Promise.all(owners.map((n) => cleanupNodeData(c.cluster, n, c.actor)));
      return 0;
    },
  },
  {
    method: 'POST',
    path: '/storage_service/mark_node_as_clean',
    group: 'storage_service',
    handle: async (c) => {
      await markClean(c);
      return VOID;
    },
  },
  {
    method: 'POST',
    path: '/raft/read_barrier',
    group: 'storage_service',
    handle: async (c) => {
      const topology = c.cluster.topology;
      if (!(topology instanceof RaftSimTopology)) return '';
      const t = c.query.get('timeout');
      const seconds = t === null || t === '' ? 60 : Number(t);
      if (!Number.isFinite(seconds) || seconds < 0) throw new SimHttpError(400, `Invalid value for parameter timeout: '${t}'`);
      const ac = new AbortController();
      try {
        const barrier = topology.group.node(c.node.id).log.readBarrier().then(() => true);
        const timeout = c.cluster.clock.sleep(seconds * 1000, ac.signal).then(() => false, () => false);
        if (!(await Promise.race([barrier, timeout]))) throw runtimeError(`read_barrier: timed out after ${seconds} s`);
      } catch (e) {
        if (e instanceof SimHttpError) throw e;
        throw runtimeError(`read_barrier: ${(e as Error).message}`);
      }
      return '';
    },
  },
];
