import {
  ConditionCheck,
  ConditionTimeoutError,
  PluginRegistry,
  waitForCondition,
  type ClusterInventory,
  type ConditionPollInfo,
  type NodeCondition,
} from '@scylla-cp/core';
import { SimCluster } from '@scylla-cp/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeSeries, PrometheusClient, prometheusPlugin } from '../src/index.js';
import { nodeContext } from './helpers/contexts.js';
import { eventually } from './helpers/eventually.js';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus-server.js';

// A real Prometheus scraping the simulated nodes' /metrics every second.
let cluster: SimCluster;
let prom: PrometheusServer;
let inv: ClusterInventory;
let registry: PluginRegistry;
let client: PrometheusClient;

const SHARDS = 4;
const BACKLOG_PER_SHARD = 8;
const TASK_MS = 1_000;

beforeAll(async () => {
  cluster = new SimCluster({
    name: 'sim-prom',
    datacenters: [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }],
    nodesPerZone: 1,
    shardsPerNode: SHARDS,
    timeScale: 0.5,
    timing: { restartCompactionBacklogPerShard: BACKLOG_PER_SHARD, compactionTaskMs: TASK_MS * 2 },
  });
  await cluster.start();
  const simInv = cluster.inventory();
  const targets = simInv.nodes.map((n) => n.connection.prometheus_target as string);
  prom = await startPrometheus({ targets });
  inv = { ...simInv, connection: { ...simInv.connection, prometheus: { url: prom.url, timeout_seconds: 2 } } };
  registry = new PluginRegistry().register(prometheusPlugin);
  client = new PrometheusClient({ url: prom.url });
  await eventually(async () => {
    const r = await client.query('sum(up{job="scylla"})');
    expect(r.resultType === 'vector' && r.result[0]?.value).toBe(targets.length);
  }, 30_000);
});

afterAll(async () => {
  await client?.close();
  await registry?.services.dispose();
  await prom?.close();
  await cluster?.stop();
});

describe('Prometheus scraping the simulated cluster', () => {
  it('maps each inventory node to its own simulated /metrics series', async () => {
    const n = inv.nodes[0]!;
    expect(nodeSeries(inv, n).value).toBe(n.connection.prometheus_target);
    const r = await client.query(`scylla_compaction_manager_pending_compactions{${nodeSeries(inv, n).matcher}}`);
    expect(r.resultType === 'vector' && r.result.map((s) => s.metric.shard).sort()).toEqual(['0', '1', '2', '3']);
    const mode = registry.create('condition', 'node-operation-mode-normal', {}) as NodeCondition;
    expect((await mode.check(nodeContext(registry.services, inv, n))).ok).toBe(true);
  });

  it("compactions-nominal fails while a restarted node's backlog is high and passes after it drains", async () => {
    const n = inv.nodes[0]!;
    const ctx = nodeContext(registry.services, inv, n);
    const condition = registry.create('condition', 'compactions-nominal', {}) as NodeCondition;
    expect((await condition.check(ctx)).ok).toBe(true);

    const restart = await cluster.systemctlRestart(n.id);
    expect(restart.exitCode).toBe(0);
    const polls: ConditionPollInfo[] = [];
    const check = new ConditionCheck(condition, { successWindowSeconds: 3, pollIntervalSeconds: 0.5, timeoutSeconds: 90 });
    const result = await waitForCondition(check, ctx, { onPoll: (p) => polls.push(p) });

    expect(result.ok).toBe(true);
    const high = polls.filter((p) => /^pending (\d+) > max 10/.test(p.detail));
    expect(high.length, polls.map((p) => p.detail).join('\n')).toBeGreaterThan(0);
    // The first high poll saw every shard's queue (the simulator queues 8±1 tasks per shard, one runs).
    const firstPending = Number(/^pending (\d+)/.exec(high[0]!.detail)![1]);
    expect(firstPending).toBeGreaterThan(10);
    expect(firstPending).toBeLessThanOrEqual(SHARDS * BACKLOG_PER_SHARD);
    expect(high[0]!.detail).toMatch(/\(shard 0: \d+, shard 1: \d+, shard 2: \d+, shard 3: \d+\)/);
    // It passed only after holding for the whole window, after the last high poll.
    const last = polls.at(-1)!;
    expect(last.passed).toBe(true);
    expect(last.heldSeconds).toBeGreaterThanOrEqual(3);
    expect(last.at - high.at(-1)!.at).toBeGreaterThanOrEqual(3_000);
    const sim = cluster.summary().find((s) => s.id === n.id)!;
    expect(sim.pendingCompactions).toBeLessThanOrEqual(10);
  }, 120_000);

  it('times out, explaining itself, when the compactions never settle', async () => {
    const n = inv.nodes[1]!;
    cluster.faults.inject({ kind: 'compactions-never-settle', node: n.id });
    await cluster.systemctlRestart(n.id);
    const ctx = nodeContext(registry.services, inv, n);
    const condition = registry.create('condition', 'compactions-nominal', { max_pending: 0, max_running: 0 }) as NodeCondition;
    // Wait until the backlog is visible, then give it a short timeout.
    await eventually(async () => expect((await condition.check(ctx)).detail).toMatch(/^pending [1-9]\d* > max 0/), 30_000);
    const check = new ConditionCheck(condition, { successWindowSeconds: 0, pollIntervalSeconds: 0.5, timeoutSeconds: 3 });
    const e = await waitForCondition(check, ctx).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConditionTimeoutError);
    // (On a loaded host the last poll may still be in flight at the timeout; the engine then
    // wraps the previous detail: "check still running at the timeout (<detail>)".)
    expect((e as ConditionTimeoutError).lastDetail).toMatch(/(^|\()pending [1-9]\d* > max 0 \(shard 0: \d+/);
    expect((e as ConditionTimeoutError).lastDetail).toContain(`instance="${n.connection.prometheus_target as string}"`);
    cluster.faults.clearAll(n.id);
  }, 90_000);
});
