import { readFileSync } from 'node:fs';
import {
  corePlugin,
  Engine,
  MemoryStore,
  parseWorkflow,
  plan,
  PluginRegistry,
  ScaledClock,
  type ClusterInventory,
  type ConditionPollEvent,
} from '@scylla-cp/core';
import { SimCluster, simShellProvider } from '@scylla-cp/sim';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient, prometheusPlugin } from '../src/index.js';
import { eventually } from './helpers/eventually.js';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus-server.js';

// The canonical workflow, unchanged, against a 6-node 3-zone simulated cluster, with a real
// Prometheus scraping the simulated nodes every (real) second in the loop of !compactions-nominal.
const WORKFLOW_PATH = new URL('../../../examples/workflows/drain-restart.yaml', import.meta.url);

/** Simulated time runs this many times faster than real time (engine, simulator and waits alike). */
const SPEED = 10;

let cluster: SimCluster;
let prom: PrometheusServer;
let inv: ClusterInventory;
let clock: ScaledClock;

beforeAll(async () => {
  clock = new ScaledClock(SPEED);
  cluster = new SimCluster({
    name: 'e2e-prom',
    clock,
    shardsPerNode: 2,
    // After a restart each shard queues 10±1 compaction tasks of 10 s (1 s real) each: the
    // summed pending count stays above the default max_pending (10) for a few real seconds,
    // long enough for Prometheus's 1 s scrapes to see it.
    timing: { restartCompactionBacklogPerShard: 10, compactionTaskMs: 10_000 },
  });
  await cluster.start();
  const simInv = cluster.inventory();
  prom = await startPrometheus({ targets: simInv.nodes.map((n) => n.connection.prometheus_target as string) });
  // The node shells are the simulator's in-process ones (simShellProvider below), so each node's
  // `connection.shell: {kind: sim, url}` is dropped: tasks-scylla's shell settings (read for
  // `sudo`) do not accept kind `sim` yet.
  const nodes = simInv.nodes.map((n) => {
    const { shell: _shell, ...connection } = n.connection;
    return { ...n, connection };
  });
  inv = { ...simInv, nodes, connection: { ...simInv.connection, prometheus: { url: prom.url } } };
  const client = new PrometheusClient({ url: prom.url });
  await eventually(async () => {
    const r = await client.query('sum(up{job="scylla"})');
    expect(r.resultType === 'vector' && r.result[0]?.value).toBe(simInv.nodes.length);
  }, 30_000);
  await client.close();
});

afterAll(async () => {
  await prom?.close();
  await cluster?.stop();
});

describe('examples/workflows/drain-restart.yaml end to end, with real Prometheus in the loop', () => {
  it('drains and restarts every node, one at a time, each waiting for its compaction backlog to drain', async () => {
    const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, prometheusPlugin).provide(simShellProvider(cluster));
    const text = readFileSync(WORKFLOW_PATH, 'utf8');
    const workflow = parseWorkflow(text, { registry, fileName: 'drain-restart.yaml' });
    // The 90 s default of the workflow is 9 real seconds here; allow for a slow shared CI host.
    const jobPlan = plan(workflow, inv, {}, { compactions_nominal_timeout_seconds: 600 }, { registry });
    const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: 7 });

    const polls: ConditionPollEvent[] = [];
    const pendingInSimAtPass = new Map<string, number>();
    engine.on('condition-poll', (e) => {
      if (e.condition !== 'compactions-nominal') return;
      polls.push(e);
      if (e.passed && e.nodeId) pendingInSimAtPass.set(e.nodeId, cluster.summary().find((s) => s.id === e.nodeId)!.pendingCompactions);
    });

    const job = await engine.start(jobPlan, { operator: 'e2e', workflowText: text });
    const outcome = await job.done;
    await registry.services.dispose();
    expect(outcome.state, JSON.stringify(outcome.error ?? outcome.failedSteps)).toBe('succeeded');

    const ids = inv.nodes.map((n) => n.id);
    const passAt = new Map<string, number>();
    for (const id of ids) {
      const target = inv.nodes.find((n) => n.id === id)!.connection.prometheus_target as string;
      const mine = polls.filter((p) => p.nodeId === id);
      const pass = mine.find((p) => p.passed);
      expect(pass, `node ${id}: ${mine.map((p) => p.detail).join(' | ')}`).toBeDefined();
      passAt.set(id, pass!.at);
      // The wait honoured the workflow's 20 s success window, judged on Prometheus's view of this node.
      expect(pass!.heldSeconds).toBeGreaterThanOrEqual(20);
      expect(pass!.detail).toMatch(new RegExp(`^pending \\d+ <= max 10 .* for instance="${target.replace(/\./g, '\\.')}"$`));
      expect(pendingInSimAtPass.get(id)).toBeLessThanOrEqual(10);
      // Drained, stopped, started, in this order.
      const actions = cluster.oplog.entries({ node: id }).map((e) => e.action);
      const iDrain = actions.indexOf('drain');
      const iStop = actions.indexOf('systemctl-stop');
      const iStart = actions.indexOf('systemctl-start');
      expect(iDrain, actions.join(',')).toBeGreaterThanOrEqual(0);
      expect(iDrain).toBeLessThan(iStop);
      expect(iStop).toBeLessThan(iStart);
    }
    // Prometheus saw the backlog: polls failed on it before passing (for most nodes; a node
    // whose high phase fell between two scrapes may only show the missing-series detail).
    const sawHigh = ids.filter((id) => polls.some((p) => p.nodeId === id && /^pending (1[1-9]|[2-9]\d) > max 10 \(shard 0: \d+, shard 1: \d+\)/.test(p.detail)));
    expect(sawHigh.length, polls.map((p) => `${p.nodeId}: ${p.detail}`).join('\n')).toBeGreaterThanOrEqual(ids.length / 2);
    // One node at a time: the next node is drained only after the previous one settled.
    const drainAt = (id: string) => cluster.oplog.entries({ node: id }).find((e) => e.action === 'drain')!.atMs;
    const order = [...ids].sort((a, b) => drainAt(a) - drainAt(b));
    for (let i = 1; i < order.length; i++) expect(drainAt(order[i]!)).toBeGreaterThan(passAt.get(order[i - 1]!)!);
  }, 400_000);
});
