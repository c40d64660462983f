import { describe, expect, it } from 'vitest';
import { describeOptions, runSimulation, simOptionsFromSeed } from '../../src/index.js';

/** Seeds per shard; four shard files give the suite's 2,000 seeds, run in parallel by vitest. */
export const SEEDS_PER_SHARD = 500;

/**
 * Declares one shard of the deterministic simulation: seeds
 * `(shard - 1) * SEEDS_PER_SHARD + 1 ..= shard * SEEDS_PER_SHARD`, or only
 * `SEED=<n>` from the environment. Every failing seed is reported with its
 * options and the command that reproduces it.
 */
export function seedShard(shard: number): void {
  describe(`deterministic simulation, shard ${shard}`, () => {
    it(`passes ${SEEDS_PER_SHARD} seeds (safety checks, then liveness)`, () => {
      const env = process.env['SEED'];
      const seeds = env !== undefined ? [Number(env)] : Array.from({ length: SEEDS_PER_SHARD }, (_, i) => (shard - 1) * SEEDS_PER_SHARD + i + 1);
      const failures: string[] = [];
      for (const seed of seeds) {
        const r = runSimulation(simOptionsFromSeed(seed));
        if (!r.ok) {
          failures.push(
            `SEED=${seed} ${describeOptions(simOptionsFromSeed(seed))}\n${r.failure?.message}\nreproduce: npm run sim -w @scylla-cp/raft -- --seed ${seed}`,
          );
        }
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    }, 600_000);
  });
}
