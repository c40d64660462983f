import { describe, expect, it } from 'vitest';
import { type TopologyTestingKnobs } from '../../src/index.js';
import { runTopologySeed } from './topology-sim-harness.js';
import { raftTargetWith } from './topology-sim-raft-target.js';

// Each safety mechanism of the topology coordinator, removed on purpose (a testing knob),
// must be noticed by the deterministic simulation over the real RaftServer: some seed in
// the range must report a violation of an invariant (not a directed test).
// TOPOLOGY_MUTATION_SEEDS overrides the seeds per mutation. Seeds are deterministic; the
// minimums sit well below the counts measured when the tests were written (in brackets).
const override = process.env.TOPOLOGY_MUTATION_SEEDS === undefined ? undefined : Number(process.env.TOPOLOGY_MUTATION_SEEDS);

const mutations: { knob: keyof TopologyTestingKnobs; seeds: number; caughtBy: RegExp; minCaught: number }[] = [
  // [100/100] the first barrier-dependent step after a version bump
  { knob: 'skipFence', seeds: 100, caughtBy: /without a fenced barrier/, minCaught: 80 },
  // [55/100; 59 before issue 16 item 4] remove + replace (or leave) of one node both queued
  { knob: 'skipConflictCheck', seeds: 100, caughtBy: /touched by two open requests/, minCaught: 25 },
  // [11/300; 12 before issue 16 item 4] needs a deposed coordinator's command delayed past its successor's fence
  { knob: 'skipStaleTermCheck', seeds: 300, caughtBy: /older than coordinator term/, minCaught: 4 },
  // [39/300] a joiner dying in a write-both phase: without the abort its barrier fails until the
  // retry budget runs out and only that rolls it back (before the bounded retry: 5/300, caught
  // only by liveness, as the barrier in write_both_read_new was retried forever)
  { knob: 'skipDeadJoinerAbort', seeds: 300, caughtBy: /dead joiner .* was not aborted|liveness: not every request ended/, minCaught: 15 },
];

describe('topology mutations are caught by the simulation over RaftServer', () => {
  for (const m of mutations) {
    const SEEDS = override ?? m.seeds;
    it(`${m.knob}: caught on at least ${m.minCaught} of ${SEEDS} seeds`, async () => {
      let caught = 0;
      let sample = '';
      const kinds = new Map<string, number>();
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = await runTopologySeed(seed, { safetyMs: 800, checkReplicaDigests: false, livenessMs: 30_000 }, raftTargetWith({ [m.knob]: true }));
        if (r.violations.length === 0) continue;
        caught++;
        const first = r.violations.find((v) => m.caughtBy.test(v)) ?? r.violations[0] ?? '';
        if (!sample && m.caughtBy.test(first)) sample = `SEED=${seed}: ${first}`;
        const kind = first.replace(/\[[^\]]*\]\s*/, '').slice(0, 50);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      console.log(`${m.knob}: caught on ${caught}/${SEEDS} seeds; first violations: ${JSON.stringify([...kinds].slice(0, 6))}\n${sample}`);
      expect(caught).toBeGreaterThanOrEqual(override === undefined ? m.minCaught : 1);
      expect(sample, 'the expected invariant names the defect on some seed').toMatch(m.caughtBy);
    }, 1_800_000);
  }
});
