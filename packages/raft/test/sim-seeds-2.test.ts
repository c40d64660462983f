import { describe, expect, it } from 'vitest';
import { describeOptions, runSimulation, simOptionsFromSeed } from '../src/index.js';

// Shard 2 of 4: 500 seeds each, 2,000 in total. SEED=<n> reruns a single seed.
const SHARD = 2;
const PER_SHARD = 500;

describe(`deterministic simulation, shard ${SHARD}`, () => {
  it(`passes ${PER_SHARD} seeds (safety checks, then liveness)`, () => {
    const env = process.env['SEED'];
    const seeds = env !== undefined ? [Number(env)] : Array.from({ length: PER_SHARD }, (_, i) => (SHARD - 1) * PER_SHARD + i + 1);
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
