import { describe } from 'vitest';
import { defineSimSuite } from './topology-sim-suite.js';

const COUNT = Number(process.env.TOPOLOGY_SEEDS ?? 500);

describe('topology deterministic simulation (VirtualRaftGroup), part B', () => {
  defineSimSuite('topology sim B', 'packages/raft/test/topology/topology-sim-b.test.ts', 100_001, COUNT, { safetyMs: 800 });
});
