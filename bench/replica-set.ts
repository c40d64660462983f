// Replica-aware concurrency benchmark (issue 15): the makespan of a rolling restart in virtual
// time with `concurrency_unit: replica_set` versus one node at a time (run in the same process,
// same engine) and versus a lower bound from the ring's conflict graph (the largest clique, the
// fractional colouring bound, or the exact number of sets when the search proved it; with equal
// restart times no schedule can beat that many restarts back to back). Three simulated clusters, RF 3:
//   a) 1 dc, 1 rack, 60 nodes, 1 token each
//   b) 1 dc, 1 rack, 60 nodes, 16 tokens each
//   c) 1 dc, 3 racks, 90 nodes, 256 tokens each, NetworkTopologyStrategy
// each planned twice: with the user keyspace only, and with ScyllaDB's SimpleStrategy system
// keyspaces as well (system_distributed RF 3, system_traces RF 2), which ignore racks.
// The ring is read through the simulator's REST API (describe_ring) by tasks-scylla's
// scyllaRingProvider; each node's restart is a fixed 60 s of virtual time.
// Last line: {bench, clusters: [{cluster, keyspaces, speedup_vs_serial, ratio_to_bound, ...}]}.
// Target: ratio_to_bound <= 1.2 on each. SEED=<n> reproduces (token placement).
import { z } from 'zod';
import {
  corePlugin,
  definePlugin,
  Engine,
  MemoryStore,
  parseWorkflow,
  planJob,
  PluginRegistry,
  VirtualClock,
  type JobPlan,
  type NodeExecutionContext,
  type NodeWorkflowStep,
} from '../packages/core/src/index.js';
import { SimCluster, simRequestPool, type SimClusterOptions } from '../packages/sim/src/index.js';
import { createScyllaPlugin, scyllaRingProvider } from '../packages/tasks-scylla/src/index.js';

const RESTART_S = 60;
const seed = process.env.SEED ? Number(process.env.SEED) : 1;
console.log(`SEED=${seed}`);

const restart = {
  name: () => 'restart',
  preconditions: () => [],
  execute: (ctx: NodeExecutionContext) => ctx.clock.sleep(RESTART_S * 1000, ctx.signal),
};
const benchPlugin = definePlugin({
  name: 'bench-replica-set',
  version: '1.0.0',
  nodeTasks: { restart: { description: `sleeps ${RESTART_S} s of virtual time`, params: z.strictObject({}), create: () => restart } },
});

interface ClusterSpec {
  name: string;
  options: SimClusterOptions;
}
const SYSTEM = ['system_distributed', 'system_traces'];
const clusters: ClusterSpec[] = [
  { name: 'a: 1 dc, 1 rack, 60 nodes, 1 token', options: { datacenters: [{ name: 'dc1', zones: ['rack1'] }], nodesPerZone: 60, tokensPerNode: 1 } },
  { name: 'b: 1 dc, 1 rack, 60 nodes, 16 tokens', options: { datacenters: [{ name: 'dc1', zones: ['rack1'] }], nodesPerZone: 60, tokensPerNode: 16 } },
  { name: 'c: 1 dc, 3 racks, 90 nodes, 256 tokens', options: { datacenters: [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }], nodesPerZone: 30, tokensPerNode: 256 } },
];

const workflowText = (unit: string, keyspaces: string[]) => `name: rolling restart
cluster_tasks:
  - task: !node-workflow
      name: restart
      concurrency_unit: ${unit}
${unit === 'replica_set' ? `      replica_set: {keyspaces: [${keyspaces.join(', ')}]}\n` : ''}      node_tasks:
        - task: !restart
`;

async function makespan(cluster: SimCluster, clock: VirtualClock, registry: PluginRegistry, plan: JobPlan, id: string): Promise<number> {
  const engine = new Engine({ store: new MemoryStore(), registry, clock, seed, holder: 'bench' });
  const start = clock.now();
  const job = await engine.start(plan, { operator: 'bench', workflowText: '', jobId: id });
  const outcome = await clock.run(job.done);
  if (outcome.state !== 'succeeded') throw new Error(`${id}: job ended ${outcome.state}: ${outcome.error?.message ?? ''}`);
  void cluster;
  return (clock.now() - start) / 1000;
}

const results: Record<string, unknown>[] = [];
const wall0 = performance.now();
for (const spec of clusters) {
  const clock = new VirtualClock();
  const cluster = new SimCluster({
    ...spec.options,
    topology: 'memory',
    seed,
    clock,
    systemKeyspaces: true,
    keyspaces: [
      { name: 'ks1', replication: { class: 'NetworkTopologyStrategy', dc1: 3 } },
      { name: 'system_traces', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: 2 } },
    ],
  });
  const poolFactory = (node: { id: string }) => simRequestPool(cluster, node.id);
  const registry = new PluginRegistry().register(corePlugin, createScyllaPlugin({ poolFactory }), benchPlugin);
  const ringProvider = scyllaRingProvider({ poolFactory });
  const inventory = cluster.inventory();
  const serialPlan = await planJob(parseWorkflow(workflowText('node', []), { registry }), inventory, {}, {}, { registry });
  const serialS = await makespan(cluster, clock, registry, serialPlan, `${spec.name[0]}-serial`);
  for (const withSystem of [false, true]) {
    const keyspaces = withSystem ? ['ks1', ...SYSTEM] : ['ks1'];
    const t0 = performance.now();
    const plan = await clock.run(() => planJob(parseWorkflow(workflowText('replica_set', keyspaces), { registry }), inventory, {}, {}, { registry, ringProvider }));
    const planMs = performance.now() - t0;
    const step = plan.steps[0] as NodeWorkflowStep;
    const g = step.replicaSet!.groups[0]!;
    const lowerBoundSets = g.lowerBound;
    const replicaS = await makespan(cluster, clock, registry, plan, `${spec.name[0]}-${withSystem ? 'sys' : 'user'}`);
    const boundS = lowerBoundSets * RESTART_S;
    const r = {
      cluster: spec.name,
      keyspaces: keyspaces.join('+'),
      nodes: inventory.nodes.length,
      conflict_pairs: g.conflictPairs,
      sets: g.sets,
      lower_bound_sets: lowerBoundSets,
      largest_clique: g.clique.length,
      fractional_bound: g.fractionalBound ?? null,
      optimal: g.optimal,
      makespan_s: replicaS,
      serial_s: serialS,
      bound_s: boundS,
      speedup_vs_serial: Number((serialS / replicaS).toFixed(2)),
      ratio_to_bound: Number((replicaS / boundS).toFixed(3)),
      plan_ms: Math.round(planMs),
    };
    console.error(JSON.stringify(r));
    results.push(r);
  }
  await ringProvider.close();
}
const worst = Math.max(...results.map((r) => r.ratio_to_bound as number));
console.log(
  JSON.stringify({
    bench: 'replica-set',
    seed,
    restart_s: RESTART_S,
    clusters: results,
    worst_ratio_to_bound: worst,
    target: { ratio_to_bound: 1.2 },
    met: worst <= 1.2,
    wall_ms: Math.round(performance.now() - wall0),
  }),
);
