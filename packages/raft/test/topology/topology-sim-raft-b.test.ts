import { describe } from 'vitest';
import { defineSimSuite } from './topology-sim-suite.js';
import { raftTarget } from './topology-sim-raft-target.js';

// Seeds 1001..1250 over real RaftServers (1..250 in topology-sim-raft.test.ts; the two
// files run in parallel). TOPOLOGY_RAFT_SEEDS changes the count per file.
const COUNT = Number(process.env.TOPOLOGY_RAFT_SEEDS ?? 250);

describe('topology deterministic simulation over the real RaftServer, part B', () => {
  defineSimSuite('topology sim over RaftServer B', 'packages/raft/test/topology/topology-sim-raft-b.test.ts', 1001, COUNT, {
    safetyMs: 800,
    checkReplicaDigests: false,
    livenessMs: 30_000,
  }, raftTarget);
});
