import { describe, expect, it } from 'vitest';
import { describeOptions, runSimulation, simOptionsFromSeed } from '../../src/rafttest/index.js';

/**
 * Seeds per shard; four shard files give the suite's 2,000 seeds, run in parallel by
 * vitest. `RAFT_SIM_SEEDS=<n>` sets the seeds per shard (nightly: `RAFT_SIM_SEEDS=25000`
 * gives 100,000; or use `npm run sim -w @scylla-cp/raft -- --seeds 100000 --jobs 2`).
 */
export const SEEDS_PER_SHARD = Number(process.env['RAFT_SIM_SEEDS'] ?? 500);

/** Wall-clock budget of one seed: a run past it stops as `hung` and names its seed. */
export const SEED_BUDGET_MS = Number(process.env['RAFT_SIM_SEED_BUDGET_MS'] ?? 30_000);

/** The failure report of one seed: `SEED=`, its options, the message and the repro command. */
export function seedReport(seed: number, message: string | undefined): string {
  return `SEED=${seed} ${describeOptions(simOptionsFromSeed(seed))}\n${message}\nreproduce: npm run sim -w @scylla-cp/raft -- --seed ${seed}`;
}

/**
 * Declares one shard of the deterministic simulation: seeds
 * `(shard - 1) * SEEDS_PER_SHARD + 1 ..= shard * SEEDS_PER_SHARD`, or only
 * `SEED=<n>` from the environment. Every failing seed is reported with its
 * options and the command that reproduces it; a seed that runs past its wall-clock
 * budget is reported the same way (as hung) instead of waiting for the test timeout.
 */
export function seedShard(shard: number): void {
  describe(`deterministic simulation, shard ${shard}`, () => {
    it(`passes ${SEEDS_PER_SHARD} seeds (safety checks, then liveness)`, () => {
      const env = process.env['SEED'];
      const seeds = env !== undefined ? [Number(env)] : Array.from({ length: SEEDS_PER_SHARD }, (_, i) => (shard - 1) * SEEDS_PER_SHARD + i + 1);
      const failures: string[] = [];
      for (const seed of seeds) {
        const r = runSimulation(simOptionsFromSeed(seed), { wallBudgetMs: SEED_BUDGET_MS, wallNow: () => performance.now() });
        if (!r.ok) {
          const report = seedReport(seed, r.failure?.message);
          console.error(report);
          failures.push(report);
        }
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    }, 3_600_000);
  });
}
