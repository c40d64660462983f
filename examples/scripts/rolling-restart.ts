// A rolling restart with the SDK, without the CLI: start a simulated cluster,
// parse the canonical drain-and-restart workflow, plan it, run it with the
// engine on an in-memory store, and print the result.
//
//   npx ts-node examples/scripts/rolling-restart.ts
//   npx tsx examples/scripts/rolling-restart.ts
//
// The packages are used through their built entry points (`npm run build`).
import fs from 'node:fs';
import path from 'node:path';
import { Engine, MemoryStore, PluginRegistry, ScaledClock, corePlugin, parseWorkflow, plan } from '@scylla-cp/core';
import { prometheusPlugin } from '@scylla-cp/conditions';
import { SimCluster, SimPrometheus, simShellOverride } from '@scylla-cp/sim';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';

async function main(): Promise<number> {
  // Simulated time runs 20x faster, so the workflow's 20 s success windows take 1 s.
  const clock = new ScaledClock(20);
  const cluster = new SimCluster({ name: 'example', clock, seed: 3, nodesPerZone: 2, datacenters: [{ name: 'dc1', zones: ['a', 'b', 'c'] }] });
  await cluster.start();
  const prometheus = new SimPrometheus(cluster.scrapeTargets(), { now: () => clock.now() });
  const prometheusUrl = await prometheus.listen();
  try {
    const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, prometheusPlugin);
    simShellOverride(registry); // nodes whose inventory says `shell: { kind: sim }` get the simulator's shell

    const file = path.join(__dirname, '..', 'workflows', 'drain-restart.yaml');
    const workflow = parseWorkflow(fs.readFileSync(file, 'utf8'), { registry, fileName: file });
    const inventory = cluster.inventory({ prometheusUrl });
    const jobPlan = plan(workflow, inventory, {}, {}, { registry });

    const engine = new Engine({ store: new MemoryStore(), registry, clock });
    engine.on('step', (e) => {
      if (e.state !== 'running') console.log(`${e.nodeId ?? 'cluster'}: ${e.task} ${e.state}`);
    });
    const job = await engine.start(jobPlan, { operator: 'example-script', workflowText: workflow.source.text });
    const outcome = await job.done;
    await engine.close();

    const restarts = cluster.oplog.entries().filter((e) => e.action === 'systemctl-start').length;
    console.log(`job ${outcome.jobId}: ${outcome.state}, ${outcome.stepsSucceeded} steps, ${restarts} restarts seen by the simulator`);
    return outcome.state === 'succeeded' ? 0 : 1;
  } finally {
    await prometheus.close();
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
