import { describe } from 'vitest';
import { defineSimSuite } from './topology-sim-suite.js';
import { RAFT_SEEDS_PER_SHARD, raftTarget } from './topology-sim-raft-target.js';

// Shard 1 of 4 of the topology simulation over real RaftServers on the Raft simulator's
// network and SimDisks (see RAFT_SEEDS_PER_SHARD: 500 seeds per shard, 2,000 in all). Step
// coverage is not required per shard (seeds 501..1000 never kill the leader right after
// finish_write_both); the invariants are.
describe('topology deterministic simulation over the real RaftServer, shard 1', () => {
  defineSimSuite('topology sim over RaftServer, shard 1', 'packages/raft/test/topology/topology-sim-raft-1.test.ts', (1 - 1) * RAFT_SEEDS_PER_SHARD + 1, RAFT_SEEDS_PER_SHARD, {
    safetyMs: 800,
    checkReplicaDigests: false,
    livenessMs: 30_000,
  }, raftTarget, false);
});
