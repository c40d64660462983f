import { RaftPrng, type TopologyTestingKnobs } from '../../src/index.js';
import { SimDisk, SimNetwork, RaftVirtualClock, RaftTopologyCluster } from '../../src/rafttest/index.js';
import type { SimTarget, SimTargetFactory } from './topology-sim-harness.js';

/**
 * The topology simulation over real RaftServers on the Raft simulator's network, each on a
 * {@link SimDisk} (writes synced 0..3 ms later; a kill loses what was not synced), agent
 * calls delayed 1 ms, or 20..300 ms for 3 % of the legs, with
 * optional deliberate defects (`knobs`, for mutation tests).
 */
export function raftTargetWith(knobs?: TopologyTestingKnobs): SimTargetFactory {
  return (nodes, seed, onCoordinatorEvent, onAgentExecute) => {
    const clock = new RaftVirtualClock();
    const prng = new RaftPrng(seed);
    const net = new SimNetwork(clock, prng.fork());
    const diskPrng = prng.fork();
    const syncMaxMs = diskPrng.int(0, 4);
    const callPrng = prng.fork();
    const disks = new Map<string, SimDisk>();
    const c = new RaftTopologyCluster({
      nodes,
      clock,
      seed,
      transport: (id) => net.endpoint(id),
      reachable: (a, b) => net.connected(a, b),
      onCoordinatorEvent,
      ...(onAgentExecute ? { onAgentExecute } : {}),
      storage: (id) => {
        const d = new SimDisk({ clock, prng: diskPrng.fork(), syncMaxMs });
        disks.set(id, d);
        return d;
      },
      onKill: (id) => disks.get(id)?.crash(),
      // Now and then an agent call is slow (a congested path): a deposed coordinator's
      // command can then arrive after its successor fenced it.
      callDelay: () => (callPrng.chance(0.03) ? callPrng.int(20, 300) : 1),
      ...(knobs ? { testingKnobs: knobs } : {}),
    });
    const target: SimTarget = {
      clock,
      get nodes() {
        return c.nodes;
      },
      get ids() {
        return c.ids;
      },
      get leaderId() {
        return c.leaderId;
      },
      isAlive: (id) => c.isAlive(id),
      appliedIndex: (id) => c.appliedIndex(id),
      state: (id) => c.state(id),
      submit: (spec, via) => c.submit(spec, via),
      kill: (id) => c.kill(id),
      restart: (id) => c.restart(id),
      isolate: (id) => {
        net.partition([id], c.ids.filter((x) => x !== id));
        c.networkChanged();
      },
      heal: () => {
        net.heal();
        c.networkChanged();
      },
      runFor: (ms) => c.runFor(ms),
      runUntil: (done, maxMs) => c.runUntil(done, maxMs),
      stop: () => c.stop(),
    };
    return target;
  };
}

/** The same topology simulation, over real RaftServers on the Raft simulator's network. */
export const raftTarget: SimTargetFactory = raftTargetWith();

/**
 * Seeds per shard file of the topology simulation over RaftServer
 * (`topology-sim-raft-{1..4}.test.ts`: shard n runs seeds `(n-1)*N+1 ..= n*N`, 2,000 in
 * all). `TOPOLOGY_RAFT_SEEDS=<n>` sets the seeds per shard (e.g. 25000 for a 100,000-seed
 * nightly run); `SEED=<n>` reruns one seed. About 0.17 s of CPU per seed.
 */
export const RAFT_SEEDS_PER_SHARD = Number(process.env.TOPOLOGY_RAFT_SEEDS ?? 500);
