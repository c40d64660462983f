// `@scylla-cp/raft/rafttest`: test and simulation harnesses (named after etcd's
// raft/rafttest). Nothing here is needed to run Raft or the topology
// coordinator in production; production code must not import this folder.
export * from './sim/raft-virtual-clock.js';
export * from './sim/sim-network.js';
export * from './sim/sim-disk.js';
export * from './sim/sim-failure.js';
export * from './sim/sim-kv.js';
export * from './sim/safety-checker.js';
export * from './sim/linearizability.js';
export * from './sim/raft-sim-cluster.js';
export * from './sim/simulator.js';
export * from './drive-virtual-clock.js';
export * from './virtual-raft-group.js';
export * from './simulated-topology-cluster.js';
export * from './raft-topology-cluster.js';
