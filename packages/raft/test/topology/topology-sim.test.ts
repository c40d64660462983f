import { describe } from 'vitest';
import { defineSimSuite } from './topology-sim-suite.js';

// Seeds 1..1000 here and 1001..2000 in topology-sim-b.test.ts (two files run in parallel).
// TOPOLOGY_SEEDS changes the count per file; SEED=<n> runs one seed.
const COUNT = Number(process.env.TOPOLOGY_SEEDS ?? 1000);

describe('topology deterministic simulation (VirtualRaftGroup), part A', () => {
  defineSimSuite('topology sim A', 'packages/raft/test/topology/topology-sim.test.ts', 1, COUNT, { safetyMs: 800 });
});
