// Scheduler benchmark: 3 zones x 1,000 nodes, 4 node tasks each (one a seeded random 30-90 s
// "restart" of virtual time), concurrency_unit zone, concurrency_limit 5, MemoryStore, VirtualClock.
// Last line: {bench, makespan_ratio, cpu_ms_per_step, peak_rss_mb, ...}.
// Targets: makespan_ratio <= 1.01, cpu_ms_per_step <= 0.2, peak_rss_mb <= 300. SEED=<n> reproduces.
import { z } from 'zod';
import {
  Engine,
  MemoryStore,
  PluginRegistry,
  Prng,
  VirtualClock,
  definePlugin,
  type ClusterInventory,
  type InventoryNode,
  type JobPlan,
  type NodeExecutionContext,
  type PlanBatch,
  type TaskSpec,
} from '../packages/core/src/index.js';

const ZONES = 3;
const NODES_PER_ZONE = 1_000;
const LIMIT = 5;
const TASKS = 4;
const RESTART_TASK = 2;

const seed = process.env.SEED ? Number(process.env.SEED) : 1;
console.log(`SEED=${seed}`);
const prng = new Prng(seed);

const nodes: InventoryNode[] = [];
const restartMs = new Map<string, number>();
for (let z = 0; z < ZONES; z++) {
  for (let i = 0; i < NODES_PER_ZONE; i++) {
    const id = `z${z}-n${String(i).padStart(4, '0')}`;
    nodes.push({ id, address: `10.${z}.${i >> 8}.${i & 255}`, dc: 'dc1', rack: `rack-${z}`, zone: `zone-${z}`, labels: {}, connection: {} });
    restartMs.set(id, prng.int(30_000, 90_000));
  }
}
const inventory: ClusterInventory = { name: 'bench', nodes, connection: {} };

const noParams = z.object({}).strict();
const instant = { name: () => 'noop', preconditions: () => [], execute: async () => undefined };
const restart = {
  name: () => 'restart',
  preconditions: () => [],
  execute: (ctx: NodeExecutionContext) => ctx.clock.sleep(restartMs.get(ctx.node.id)!, ctx.signal),
};
const plugin = definePlugin({
  name: 'bench-plugin',
  version: '1.0.0',
  nodeTasks: {
    noop: { description: 'does nothing', params: noParams, create: () => instant },
    restart: { description: 'sleeps 30-90 s of virtual time', params: noParams, create: () => restart },
  },
});
const registry = new PluginRegistry().register(plugin);

const backoff = { initialSeconds: 5, multiplier: 2, maxSeconds: 60 };
const tasks: TaskSpec[] = Array.from({ length: TASKS }, (_, t) => ({ tag: t === RESTART_TASK ? 'restart' : 'noop', params: {}, retries: 2, retryBackoff: backoff }));
const batches: PlanBatch[] = [];
for (let z = 0; z < ZONES; z++) {
  batches.push({ id: `s0/b${z}`, unit: `zone-${z}`, nodes: nodes.filter((n) => n.zone === `zone-${z}`).map((n) => n.id) });
}
const plan: JobPlan = {
  formatVersion: 1,
  workflowName: 'bench-rolling-restart',
  cluster: 'bench',
  inventory,
  targeting: {},
  variables: {},
  steps: [{ kind: 'node-workflow', id: 's0', name: 'rolling restart', concurrencyUnit: 'zone', concurrencyLimit: LIMIT, abortOnFirstFailure: true, tasks, batches }],
};

// Lower bound: per zone max(total work / limit, longest node), summed over zones.
let lowerBoundMs = 0;
for (const b of batches) {
  const work = b.nodes.map((n) => restartMs.get(n)!);
  lowerBoundMs += Math.max(work.reduce((a, x) => a + x, 0) / LIMIT, Math.max(...work));
}

const clock = new VirtualClock();
const store = new MemoryStore();
const engine = new Engine({ store, registry, clock, seed, holder: 'bench' });
const steps = ZONES * NODES_PER_ZONE * TASKS;

const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const start = clock.now();
const job = await engine.start(plan, { operator: 'bench', workflowText: '', jobId: 'bench-job' });
const outcome = await clock.run(job.done);
const makespanMs = clock.now() - start;
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - wall0;

if (outcome.state !== 'succeeded' || outcome.stepsSucceeded !== steps) {
  throw new Error(`bench job ended ${outcome.state} with ${outcome.stepsSucceeded}/${steps} steps: ${outcome.error?.message ?? ''}`);
}
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const result = {
  bench: 'scheduler',
  seed,
  makespan_ratio: Number((makespanMs / lowerBoundMs).toFixed(5)),
  cpu_ms_per_step: Number(((cpu.user + cpu.system) / 1000 / steps).toFixed(4)),
  peak_rss_mb: Number(peakRssMb.toFixed(1)),
  steps,
  makespan_s: makespanMs / 1000,
  lower_bound_s: Number((lowerBoundMs / 1000).toFixed(1)),
  wall_ms: Math.round(wallMs),
  targets: { makespan_ratio: 1.01, cpu_ms_per_step: 0.2, peak_rss_mb: 300 },
};
console.log(JSON.stringify(result));
