import { describeOptions, runSimulation, simOptionsFromSeed } from './simulator.js';
import { SIM_EXIT_CODES } from './sim-failure.js';

/**
 * `npm run sim -w @scylla-cp/raft -- [--seeds N] [--seed S] [--from F]`
 * Runs N seeds starting at F (default: a random starting seed), or exactly seed S.
 * Exits 0 on success, else with the code of the first failure class (crash 127,
 * liveness 128, correctness 129), after printing the command that reproduces it.
 */
function main(argv: string[]): number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const envSeed = process.env['SEED'];
  const single = arg('--seed') ?? envSeed;
  const count = single !== undefined ? 1 : Number(arg('--seeds') ?? 100);
  const from = single !== undefined ? Number(single) : Number(arg('--from') ?? Math.floor(Math.random() * 2 ** 31));
  const verbose = argv.includes('--verbose') || single !== undefined;
  let failures = 0;
  let firstCode = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const seed = (from + i) >>> 0;
    const opts = simOptionsFromSeed(seed);
    if (verbose) console.log(`SEED=${seed} ${describeOptions(opts)}`);
    else console.log(`SEED=${seed}`);
    const r = runSimulation(opts);
    if (r.ok) {
      if (verbose) console.log(`PASSED ${JSON.stringify(r.stats)}`);
      continue;
    }
    failures++;
    const f = r.failure as { kind: 'crash' | 'liveness' | 'correctness'; message: string };
    if (firstCode === 0) firstCode = SIM_EXIT_CODES[f.kind];
    console.log(`FAILED (${f.kind}) ${describeOptions(opts)}\n${f.message}`);
    console.log(`reproduce: npm run sim -w @scylla-cp/raft -- --seed ${seed}`);
  }
  console.log(`${count - failures}/${count} seeds passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return firstCode;
}

process.exitCode = main(process.argv.slice(2));
