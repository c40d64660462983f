import { fork } from 'node:child_process';
import { describeOptions, runSimulation, simOptionsFromSeed } from './simulator.js';
import { SIM_EXIT_CODES, type SimFailureKind } from './sim-failure.js';

/**
 * `npm run sim -w @scylla-cp/raft -- [--seeds N] [--seed S] [--from F] [--jobs J] [--budget-ms B]`
 *
 * Runs N seeds starting at F (default: a random starting seed), or exactly seed S.
 * `--jobs J` splits the seeds over J child processes (nightly size: `--seeds 100000 --jobs 2`).
 * Every seed has a wall-clock budget (`--budget-ms`, default 60000): a run that exceeds it
 * is stopped by the in-process watchdog, and a child that stops printing progress for
 * 1.5 budgets (a synchronous hang the watchdog cannot interrupt) is killed by the parent;
 * both print `SEED=<n>` and the command that reproduces it. Exits 0 on success, else with
 * the code of the first failure class (crash 127, liveness 128, correctness 129, hung 130).
 */
function main(argv: string[]): Promise<number> | number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const envSeed = process.env['SEED'] || undefined;
  const single = arg('--seed') ?? envSeed;
  const count = single !== undefined ? 1 : Number(arg('--seeds') ?? 100);
  const from = single !== undefined ? Number(single) : Number(arg('--from') ?? Math.floor(Math.random() * 2 ** 31));
  const jobs = Math.max(1, Number(arg('--jobs') ?? 1));
  const budgetMs = Number(arg('--budget-ms') ?? 60_000);
  const verbose = argv.includes('--verbose') || single !== undefined;
  if (![count, from, jobs, budgetMs].every(Number.isFinite)) {
    console.error('sim: --seeds, --seed, --from, --jobs and --budget-ms take numbers, e.g. --seeds 100000 --jobs 2');
    return 2;
  }
  if (jobs > 1 && count > 1) return runJobs(from, count, jobs, budgetMs);
  return runSeeds(from, count, budgetMs, verbose);
}

function reproduce(seed: number): string {
  return `reproduce: npm run sim -w @scylla-cp/raft -- --seed ${seed}`;
}

function runSeeds(from: number, count: number, budgetMs: number, verbose: boolean): number {
  let failures = 0;
  let firstCode = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const seed = (from + i) >>> 0;
    const opts = simOptionsFromSeed(seed);
    if (verbose) console.log(`SEED=${seed} ${describeOptions(opts)}`);
    else console.log(`SEED=${seed}`);
    const r = runSimulation(opts, { wallBudgetMs: budgetMs, wallNow: () => performance.now() });
    if (r.ok) {
      if (verbose) console.log(`PASSED ${JSON.stringify(r.stats)}`);
      continue;
    }
    failures++;
    const f = r.failure as { kind: SimFailureKind; message: string };
    if (firstCode === 0) firstCode = SIM_EXIT_CODES[f.kind];
    console.log(`FAILED (${f.kind}) SEED=${seed} ${describeOptions(opts)}\n${f.message}`);
    console.log(reproduce(seed));
  }
  console.log(`${count - failures}/${count} seeds passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return firstCode;
}

/** Runs the seeds in `jobs` children; a child silent for 1.5 budgets is killed and its seed reported hung. */
async function runJobs(from: number, count: number, jobs: number, budgetMs: number): Promise<number> {
  const t0 = performance.now();
  const per = Math.ceil(count / jobs);
  let firstCode = 0;
  let passed = 0;
  const runs: Promise<void>[] = [];
  for (let j = 0; j < jobs; j++) {
    const start = from + j * per;
    const n = Math.min(per, count - j * per);
    if (n <= 0) break;
    runs.push(
      new Promise<void>((resolve) => {
        const child = fork(process.argv[1] as string, ['--from', String(start), '--seeds', String(n), '--budget-ms', String(budgetMs)], {
          stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
          env: { ...process.env, SEED: '' },
        });
        let current = -1;
        let lastProgress = performance.now();
        let buf = '';
        child.stdout?.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const m = /^SEED=(\d+)$/.exec(line);
            if (m) {
              current = Number(m[1]);
              lastProgress = performance.now();
              continue;
            }
            const done = /^(\d+)\/(\d+) seeds passed/.exec(line);
            if (done) {
              passed += Number(done[1]);
              continue;
            }
            console.log(line);
          }
        });
        const watch = setInterval(() => {
          if (performance.now() - lastProgress > 1.5 * budgetMs) {
            console.log(`FAILED (hung) SEED=${current}: no progress for ${Math.round(1.5 * budgetMs)} ms of wall time; the child was killed`);
            console.log(reproduce(current));
            if (firstCode === 0) firstCode = SIM_EXIT_CODES.hung;
            child.kill('SIGKILL');
          }
        }, 1000);
        child.on('exit', (code) => {
          clearInterval(watch);
          if (code && firstCode === 0) firstCode = code;
          resolve();
        });
      }),
    );
  }
  await Promise.all(runs);
  console.log(`${passed}/${count} seeds passed in ${((performance.now() - t0) / 1000).toFixed(1)} s (${jobs} jobs)`);
  return firstCode;
}

void Promise.resolve(main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
