import { describe } from 'vitest';
import { defineSimSuite } from './topology-sim-suite.js';
import { raftTarget } from './topology-sim-raft-target.js';

// The simulation's workload plus global requests (cleanup, noop) and aborts of open requests
// from random live founders, with the invariants: a global request never runs together with a
// node operation, cleanup is `running` only under a running cleanup, an aborted request never
// starts, and every request, node or global, ends. TOPOLOGY_GLOBAL_SEEDS changes the count per
// suite; SEED=<n> runs one seed.
const COUNT = Number(process.env.TOPOLOGY_GLOBAL_SEEDS ?? 200);

describe('topology simulation with global requests and aborts', () => {
  defineSimSuite('topology sim global (VirtualRaftGroup)', 'packages/raft/test/topology/topology-sim-global.test.ts', 200_001, COUNT, { safetyMs: 800, globalAndAbort: true });
  defineSimSuite('topology sim global (RaftServer)', 'packages/raft/test/topology/topology-sim-global.test.ts', 300_001, Math.ceil(COUNT / 2), { safetyMs: 800, globalAndAbort: true, checkReplicaDigests: false, livenessMs: 30_000 }, raftTarget);
});
