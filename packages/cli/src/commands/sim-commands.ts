import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError, ScaledClock, SystemClock, type Clock, type ClusterInventory, type PluginRegistry } from '@scylla-cp/core';
import { parseWorkflow, plan } from '@scylla-cp/core';
import { SimCluster, SimPrometheus } from '@scylla-cp/sim';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { DRAIN_RESTART_WORKFLOW } from '../demo/drain-restart-workflow.js';
import { createFolders } from '../create-folders.js';
import { ExitCode } from '../exit-codes.js';
import { intArg, positiveArg } from '../parse-flags.js';
import { buildRegistry, openStore } from '../runtime.js';
import { stateDir } from '../state-paths.js';
import type { Colors } from '../colors.js';
import { executeJob } from './execute-job.js';
import { formatPreflight, runPreflight } from './preflight.js';

/** A running simulated cluster with its Prometheus stand-in. */
export interface SimEnvironment {
  cluster: SimCluster;
  prometheus: SimPrometheus;
  inventory: ClusterInventory;
  clock: Clock;
  stop(): Promise<void>;
}

/** Options of {@link startSimEnvironment}. */
export interface SimEnvironmentOptions {
  /** Cluster name (the cluster lock's key). */
  name: string;
  /** Zones (one rack each) of the single datacenter `dc1`. @default 3 */
  zones?: number;
  /** @default 2 */
  nodesPerZone?: number;
  /** Simulated time runs this many times faster than real time. @default 1 */
  speed?: number;
  /** @default 1 */
  seed?: number;
}

/**
 * Starts a simulated cluster over HTTP on 127.0.0.1 (REST API, metrics and
 * control servers per node) and a Prometheus stand-in scraping it, and
 * returns the inventory that reaches them.
 */
export async function startSimEnvironment(o: SimEnvironmentOptions): Promise<SimEnvironment> {
  const speed = o.speed ?? 1;
  const clock: Clock = speed === 1 ? new SystemClock() : new ScaledClock(speed);
  const zones = Array.from({ length: o.zones ?? 3 }, (_, i) => `rack${i + 1}`);
  const cluster = new SimCluster({ name: o.name, clock, seed: o.seed ?? 1, nodesPerZone: o.nodesPerZone ?? 2, datacenters: [{ name: 'dc1', zones }] });
  await cluster.start();
  const prometheus = new SimPrometheus(cluster.scrapeTargets(), { now: () => clock.now() });
  let url: string;
  try {
    url = await prometheus.listen();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return {
    cluster,
    prometheus,
    clock,
    inventory: cluster.inventory({ prometheusUrl: url }),
    async stop() {
      await prometheus.close();
      await cluster.stop();
    },
  };
}

/** `scylla-cp sim start`: runs a simulated cluster in the foreground until Ctrl-C. */
export async function runSimStart(io: CliIo, o: { zones: number; nodesPerZone: number; inventoryOut: string; speed: number }): Promise<number> {
  const out = path.resolve(io.cwd, o.inventoryOut);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) {
    throw new InvalidInputError(`--inventory-out ${out} is a directory; give a file name (e.g. ${path.join(out, 'sim-inventory.yaml')})`, { code: 'BAD_FLAG' });
  }
  createFolders(path.dirname(out), { label: '--inventory-out', target: out, code: 'BAD_FLAG' });
  const env = await startSimEnvironment({ name: 'sim-cluster', zones: o.zones, nodesPerZone: o.nodesPerZone, speed: o.speed });
  try {
    await env.cluster.writeInventory(out, { prometheusUrl: env.prometheus.url });
  } catch (e) {
    await env.stop();
    throw new InvalidInputError(`--inventory-out ${out}: cannot write the inventory (${(e as { code?: string }).code ?? (e as Error).message})`, { code: 'BAD_FLAG' });
  }
  io.stdout.write(
    `simulated cluster "sim-cluster": ${env.inventory.nodes.length} nodes in ${o.zones} zones (speed ${o.speed}x)\n` +
      env.inventory.nodes.map((n) => `  ${n.id}  ${n.zone}  REST ${(n.connection['scylla_api'] as { port: number }).port}  metrics ${n.connection['prometheus_target']}`).join('\n') +
      `\nPrometheus stand-in: ${env.prometheus.url}\ninventory written to ${out}\n` +
      `try: scylla-cp run examples/workflows/drain-restart.yaml --inventory ${o.inventoryOut}\n` +
      `press Ctrl-C to stop the cluster\n`,
  );
  await new Promise<void>((resolve) => {
    const off = io.onInterrupt(() => {
      off();
      resolve();
    });
  });
  await env.stop();
  io.stdout.write('simulated cluster stopped\n');
  return ExitCode.OK;
}

/**
 * `scylla-cp demo`: starts a 6-node, 3-zone simulated cluster (at `speed`x),
 * runs the canonical drain-and-restart workflow on it with a live view, and
 * prints how to inspect the job.
 */
export async function runDemo(io: CliIo, o: { registry: PluginRegistry; dbPath: string; speed: number; json: boolean; colors: Colors }): Promise<number> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const name = `demo-${stamp}`;
  const env = await startSimEnvironment({ name, zones: 3, nodesPerZone: 2, speed: o.speed });
  try {
    const dir = path.join(stateDir(io.env), 'demo');
    createFolders(dir, { label: io.env.SCYLLA_CP_HOME ? '$SCYLLA_CP_HOME' : 'the state folder ~/.scylla-cp', target: dir, code: 'BAD_STATE_DIR' });
    const inventoryFile = path.join(dir, `${name}-inventory.yaml`);
    const workflowFile = path.join(dir, 'drain-restart.yaml');
    fs.writeFileSync(workflowFile, DRAIN_RESTART_WORKFLOW);
    await env.cluster.writeInventory(inventoryFile, { prometheusUrl: env.prometheus.url });
    const workflow = parseWorkflow(DRAIN_RESTART_WORKFLOW, { registry: o.registry, fileName: 'drain-restart.yaml' });
    const jobPlan = plan(workflow, env.inventory, {}, {}, { registry: o.registry });
    if (!o.json) {
      io.stdout.write(
        `scylla-cp demo: a simulated ScyllaDB cluster "${name}" (${env.inventory.nodes.length} nodes, 3 zones) on 127.0.0.1, ` +
          `time running ${o.speed}x faster than real time\n` +
          `workflow: ${workflowFile} (the canonical drain-and-restart)\n` +
          `job store: ${o.dbPath}\n\n`,
      );
    }
    const checks = await runPreflight(jobPlan, { registry: o.registry, clock: env.clock });
    if (!o.json) io.stdout.write(formatPreflight(checks));
    if (checks.some((c) => !c.ok)) return ExitCode.FAILED;
    const store = await openStore(o.dbPath);
    let code: number;
    try {
      code = await executeJob({
        io,
        store,
        registry: o.registry,
        json: o.json,
        dbPath: o.dbPath,
        notify: [],
        notifyOnSuccess: false,
        clock: env.clock,
        colors: o.colors,
        start: { kind: 'start', plan: jobPlan, operator: io.env.SCYLLA_CP_OPERATOR ?? 'demo', workflowText: DRAIN_RESTART_WORKFLOW, allowConcurrent: false },
      });
      const [job] = await store.listJobs({ cluster: name, limit: 1 });
      if (!o.json && job) {
        const ops = env.cluster.oplog.entries().filter((e) => e.actor !== 'control');
        io.stdout.write(
          `\nthe simulator recorded ${ops.length} operations on the nodes (drain, stop, start, ...)\n` +
            `inspect the job:   npx scylla-cp status ${job.id}\n` +
            `list jobs:         npx scylla-cp jobs\n` +
            `the store is SQLite: sqlite3 ${o.dbPath} "select step_id, state, attempts from steps where job_id = '${job.id}'"\n` +
            `to rehearse interruption and resume: npx scylla-cp sim start (in one terminal), then\n` +
            `  npx scylla-cp run examples/workflows/drain-restart.yaml --inventory sim-inventory.yaml, press Ctrl-C, and npx scylla-cp resume <job-id>\n`,
        );
      }
    } finally {
      await store.close();
    }
    return code;
  } finally {
    await env.stop();
  }
}

/**
 * `scylla-cp sim start` (a simulated cluster in the foreground, its inventory
 * written to a file) and `scylla-cp demo` (a simulated cluster with the
 * canonical drain-and-restart run on it). Registered on `ctx.program` in that
 * order.
 */
export function registerSimCommands(ctx: CliContext): void {
  const { io, program } = ctx;
  const sim = program.command('sim').description('the simulated ScyllaDB cluster');
  sim
    .command('start')
    .description('run a simulated cluster in the foreground and write its inventory file')
    .option('--zones <n>', 'zones (racks) in one dc', intArg(1), 3)
    .option('--nodes-per-zone <n>', 'nodes per zone', intArg(1), 2)
    .option('--inventory-out <file>', 'where to write the inventory', 'sim-inventory.yaml')
    .option('--speed <x>', 'simulated time runs this many times faster than real time', positiveArg, 1)
    .action(async (o: { zones: number; nodesPerZone: number; inventoryOut: string; speed: number }) => {
      ctx.setExit(await runSimStart(io, o));
    });

  program
    .command('demo')
    .description('start a simulated cluster and run the canonical drain-and-restart workflow on it')
    .option('--speed <x>', 'simulated time runs this many times faster than real time', positiveArg, 10)
    .option('--json', 'print engine events as JSON lines')
    .action(async (o: { speed: number; json?: boolean }) => {
      const cfg = ctx.config();
      const registry = await buildRegistry(cfg, io.cwd);
      ctx.setExit(await runDemo(io, { registry, dbPath: ctx.dbPath(cfg), speed: o.speed, json: Boolean(o.json), colors: ctx.colors() }));
    });
}
