import type { CleanupCommand, LocalNodeAgent } from '@scylla-cp/raft';
import { RaftSimTopology } from './raft-sim-topology.js';
import { isLocalStrategy, strategyName } from './replication.js';
import type { SimClusterControl } from './sim-cluster-view.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';

/**
 * Cleans one node the way `cleanup_all` does locally: a keyspace cleanup (oplog action
 * `cleanup`, `cleanupMs` of simulated time each) of every keyspace whose data can move (not
 * local, not `EverywhereStrategy`). Rejects like `keyspace_cleanup` (the node dies meanwhile,
 * topology changes).
 */
export async function cleanupNodeData(cluster: SimClusterControl, node: SimNode, actor: SimActor): Promise<void> {
  for (const ks of cluster.keyspaces) {
    if (!isLocalStrategy(ks) && strategyName(ks.replication) !== 'EverywhereStrategy') await cluster.cleanup(node, ks.name, actor);
  }
}

const wired = new WeakSet<SimClusterControl>();

/**
 * Makes the node agents of `cluster`'s Raft topology group do the simulator's per-node cleanup
 * when the topology coordinator sends them a global `cleanup` command: the agent's answer waits
 * for {@link cleanupNodeData} on that node (so a node that dies meanwhile fails the request,
 * and its cleanup stays `needed`). Without a Raft topology it does nothing. Idempotent.
 *
 * The group builds its agents itself; each running incarnation's agent is wrapped when a
 * cleanup is in progress (its `start_global` or any later command applies), before the
 * coordinator calls it.
 */
export function wireRaftSimCleanup(cluster: SimClusterControl): void {
  const topology = cluster.topology;
  if (!(topology instanceof RaftSimTopology) || wired.has(cluster)) return;
  wired.add(cluster);
  const group = topology.group;
  const patched = new WeakSet<LocalNodeAgent>();
  group.onApply((_c, _r, state) => {
    const g = state.globalRequest === null ? undefined : state.globalRequests[state.globalRequest];
    if (!g || g.kind !== 'cleanup') return;
    for (const id of g.nodes ?? []) {
      if (!group.isAlive(id)) continue;
      const agent = group.node(id).agent;
      if (patched.has(agent)) continue;
      patched.add(agent);
      const inner = agent.cleanup.bind(agent);
      agent.cleanup = async (cmd: CleanupCommand): Promise<void> => {
        await inner(cmd);
        const node = cluster.nodes.find((n) => n.id === id);
        if (!node) throw new Error(`cleanup: ${id} is not a node of the simulated cluster`);
        await cleanupNodeData(cluster, node, 'sim');
      };
    }
  });
}
