import { describe } from 'vitest';
import { defineSimSuite } from './topology-sim-suite.js';

// Seeds 1..500 here and 100001..100500 in topology-sim-b.test.ts (two files run in parallel);
// the same workload runs over real RaftServers in topology-sim-raft*.test.ts (2,000 seeds).
// TOPOLOGY_SEEDS changes the count per file; SEED=<n> runs one seed.
const COUNT = Number(process.env.TOPOLOGY_SEEDS ?? 500);

describe('topology deterministic simulation (VirtualRaftGroup), part A', () => {
  defineSimSuite('topology sim A', 'packages/raft/test/topology/topology-sim.test.ts', 1, COUNT, { safetyMs: 800 });
});
