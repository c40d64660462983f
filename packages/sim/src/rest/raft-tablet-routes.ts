import { RaftSimTopology } from '../raft-sim-topology.js';
import { VOID } from '../rest-reply.js';
import type { SimClusterView } from '../sim-cluster-view.js';
import { runtimeError, SimHttpError } from '../sim-errors.js';
import type { SimNode } from '../sim-node.js';
import type { SimRoute } from './sim-route.js';

/** What the simulator keeps for these routes, per cluster. */
interface RoleState {
  /** Tablet load balancing (ScyllaDB's default: on). */
  balancing: boolean;
  /** The stand-in group0 leader of a cluster without a Raft topology group (`{ topology: 'memory' }`). */
  leader?: string;
}

const states = new WeakMap<SimClusterView, RoleState>();

function stateOf(cluster: SimClusterView): RoleState {
  let s = states.get(cluster);
  if (!s) {
    s = { balancing: true };
    states.set(cluster, s);
  }
  return s;
}

/** Whether tablet load balancing is on in `cluster` (`POST /storage_service/tablets/balancing` sets it). */
export function simTabletBalancing(cluster: SimClusterView): boolean {
  return stateOf(cluster).balancing;
}

/**
 * The simulated group0 leader of `cluster`: the leader of its Raft topology
 * group, or (with `{ topology: 'memory' }`) a stand-in: the first node by id
 * whose process runs, kept until it stops or steps down.
 */
export function simGroup0Leader(cluster: SimClusterView): SimNode | undefined {
  if (cluster.topology instanceof RaftSimTopology) {
    const id = cluster.topology.group.leaderId;
    return id === undefined ? undefined : cluster.nodes.find((n) => n.id === id && n.process);
  }
  const s = stateOf(cluster);
  const current = cluster.nodes.find((n) => n.id === s.leader && n.process);
  if (current) return current;
  const next = [...cluster.nodes].filter((n) => n.process).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
  s.leader = next?.id;
  return next;
}

/**
 * {@link simGroup0Leader}, after letting a leaderless Raft group elect one:
 * the group runs on its own clock only while it has work, so a quiet group
 * may not have elected yet (its steps take no simulated time).
 */
export async function simGroup0LeaderNow(cluster: SimClusterView): Promise<SimNode | undefined> {
  if (cluster.topology instanceof RaftSimTopology && simGroup0Leader(cluster) === undefined) {
    const group = cluster.topology.group;
    let finished = false;
    const election = group.runUntil(() => group.leaderId !== undefined && simGroup0Leader(cluster) !== undefined, 5_000).finally(() => {
      finished = true;
    });
    // The group runs on its own clock; keep a simulated-clock timer pending meanwhile (an election takes a few ms).
    while (!finished) await cluster.clock.sleep(1);
    await election;
  }
  return simGroup0Leader(cluster);
}

async function stepDown(cluster: SimClusterView, node: SimNode): Promise<void> {
  const leader = await simGroup0LeaderNow(cluster);
  if (leader?.id !== node.id) throw runtimeError(`Node ${node.hostId} is not a leader of group0`);
  if (cluster.topology instanceof RaftSimTopology) {
    try {
      await cluster.topology.group.group.transferLeadership(node.id);
    } catch (e) {
      throw runtimeError(`stepdown of group0 failed: ${(e as Error).message}`);
    }
    return;
  }
  const others = [...cluster.nodes].filter((n) => n.process && n.id !== node.id).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (others.length === 0) throw runtimeError('stepdown of group0 failed: no other live voter to hand leadership to');
  stateOf(cluster).leader = others[0]!.id;
}

/**
 * The simulator's routes for the role-aware and clean-up tasks (issue 15), as
 * ScyllaDB declares them: `GET /raft/leader_host` (a JSON string host id),
 * `POST /raft/trigger_stepdown/` (`""`, its declared `string`; 500 `std::runtime_error` on a
 * node that does not lead), `POST /storage_service/tablets/balancing`
 * (`enabled` required; void). The raft routes answer once `storage_service` is registered (ScyllaDB
 * registers its raft API after group0 starts, later than that; close enough
 * for the tasks, which only call them on started nodes).
 */
export function raftTabletRoutes(): SimRoute[] {
  return [
    {
      method: 'GET',
      path: '/raft/leader_host',
      group: 'storage_service',
      handle: async (c) => {
        const leader = await simGroup0LeaderNow(c.cluster);
        if (!leader) throw runtimeError('raft group0 has no leader now');
        return leader.hostId;
      },
    },
    {
      method: 'POST',
      path: '/raft/trigger_stepdown/',
      group: 'storage_service',
      handle: async (c) => {
        await stepDown(c.cluster, c.node);
        c.cluster.log(c.node, c.actor, 'raft-stepdown', { to: simGroup0Leader(c.cluster)?.id });
        // Declared `string`; answered as an empty JSON string (the client also accepts an empty body).
        return '';
      },
    },
    {
      method: 'POST',
      path: '/storage_service/tablets/balancing',
      group: 'storage_service',
      required: ['enabled'],
      handle: (c) => {
        const v = c.query.get('enabled')!;
        if (v !== 'true' && v !== 'false') throw new SimHttpError(400, `Invalid value for boolean parameter enabled: '${v}'`);
        stateOf(c.cluster).balancing = v === 'true';
        c.cluster.log(c.node, c.actor, 'tablet-balancing', { enabled: v === 'true' });
        return VOID;
      },
    },
  ];
}
