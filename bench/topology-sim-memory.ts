// Memory of the topology simulation over real RaftServers across many seeds in one process
// (issue 16 item 3). `npm run bench -- topology-sim-memory`; BENCH_SEEDS (default 400) seeds
// from BENCH_FROM (default 601, so that SEED=865 is among them: the seed whose forwarding
// livelock grew the heap by gigabytes before RaftServerLog forwarded a proposal at most once).
// The baseline is the heap after a full GC once the first 25 seeds ran, measured in the same
// run; the figures are the heap after GC every 25 seeds, and the ratio of the last (and of
// the largest) to the baseline. Flat memory is a ratio near 1. Ends with one JSON line.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runTopologySeed } from '../packages/raft/test/topology/topology-sim-harness.js';
import { raftTarget } from '../packages/raft/test/topology/topology-sim-raft-target.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const SEEDS = Number(process.env['BENCH_SEEDS'] ?? 400);
const FROM = Number(process.env['BENCH_FROM'] ?? 601);
const EVERY = 25;

const heapMb = (): number => {
  gc();
  gc();
  return +(process.memoryUsage().heapUsed / 1e6).toFixed(1);
};

const samples: { seed: number; heap_mb: number }[] = [];
let violations = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let seed = FROM; seed < FROM + SEEDS; seed++) {
  const r = await runTopologySeed(seed, { safetyMs: 800, checkReplicaDigests: false, livenessMs: 30_000 }, raftTarget);
  if (r.violations.length > 0) {
    violations++;
    console.error(`SEED=${seed}: ${r.violations[0]}`);
  }
  if ((seed - FROM + 1) % EVERY === 0) {
    samples.push({ seed, heap_mb: heapMb() });
    console.error(`after SEED=${seed}: heap ${samples.at(-1)!.heap_mb} MB, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
  }
}
const cpu = process.cpuUsage(cpu0);
const baseline = samples[0]?.heap_mb ?? heapMb();
const last = samples.at(-1)?.heap_mb ?? heapMb();
const max = Math.max(...samples.map((s) => s.heap_mb));
console.log(
  JSON.stringify({
    bench: 'topology-sim-memory',
    seeds: SEEDS,
    from: FROM,
    violations,
    baseline_heap_mb: baseline,
    end_heap_mb: last,
    max_heap_mb: max,
    ratio_end_to_baseline: +(last / baseline).toFixed(3),
    ratio_max_to_baseline: +(max / baseline).toFixed(3),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
    cpu_s_per_seed: +((cpu.user + cpu.system) / 1e6 / SEEDS).toFixed(3),
    wall_s: +((performance.now() - t0) / 1000).toFixed(1),
  }),
);
