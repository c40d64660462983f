import { Prng } from '../../src/prng.js';
import { SimNetwork } from '../../src/sim/sim-network.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { RaftTopologyCluster } from '../../src/topology/index.js';
import type { SimTarget, SimTargetFactory } from './topology-sim-harness.js';

/** The same topology simulation, over real RaftServers on the Raft simulator's network. */
export const raftTarget: SimTargetFactory = (nodes, seed, onCoordinatorEvent) => {
  const clock = new VirtualClock();
  const net = new SimNetwork(clock, new Prng(seed));
  const c = new RaftTopologyCluster({
    nodes,
    clock,
    seed,
    transport: (id) => net.endpoint(id),
    reachable: (a, b) => net.connected(a, b),
    onCoordinatorEvent,
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

