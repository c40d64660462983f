import {
  ConditionCheck,
  ConditionTimeoutError,
  PluginRegistry,
  waitForCondition,
  type ClusterCondition,
  type ConditionPollInfo,
  type NodeCondition,
} from '@scylla-cp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompactionsNominal,
  CoordinatorLatencyBelow,
  NodeOperationModeNormal,
  prometheus,
  PrometheusClient,
  PrometheusError,
  prometheusPlugin,
} from '../src/index.js';
import { clusterContext, inventory, node, nodeContext } from './helpers/contexts.js';
import { eventually } from './helpers/eventually.js';
import { ScyllaMetricsStub } from './helpers/metrics-stub.js';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus-server.js';

let prom: PrometheusServer;
let stubA: ScyllaMetricsStub;
let stubB: ScyllaMetricsStub;
let registry: PluginRegistry;
let client: PrometheusClient;

const nodeA = () => node('n1', '10.0.0.1', stubA.target, { dc: 'dc-east', rack: 'rack-a', zone: 'zone-a' });
const nodeB = () => node('n2', '10.0.0.2', stubB.target);
const inv = () => inventory([nodeA(), nodeB()], { url: prom.url, timeout_seconds: 2 });
const ctxA = (signal?: AbortSignal) => nodeContext(registry.services, inv(), nodeA(), signal ? { signal } : {});
const ctxB = () => nodeContext(registry.services, inv(), nodeB());

/** The single value of an instant query, as Prometheus currently sees it. */
async function scalarOf(expr: string): Promise<number> {
  const r = await client.query(expr);
  if (r.resultType !== 'vector' || r.result.length !== 1) throw new Error(`${expr}: expected one series, got ${JSON.stringify(r)}`);
  return r.result[0]!.value;
}

/** Waits until Prometheus has scraped a node's pending-compaction sum. */
async function pendingSeen(stub: ScyllaMetricsStub, sum: number): Promise<void> {
  await eventually(async () => {
    expect(await scalarOf(`sum(scylla_compaction_manager_pending_compactions{instance="${stub.target}"})`)).toBe(sum);
  });
}

beforeAll(async () => {
  stubA = await ScyllaMetricsStub.start();
  stubB = await ScyllaMetricsStub.start();
  for (const s of [stubA, stubB]) {
    s.setCompactions([0, 0], [0, 0]).setOperationMode(3);
    s.setLatencySummary('read', [
      { p50: 400, p95: 2_000, p99: 5_000 },
      { p50: 500, p95: 3_000, p99: 6_000 },
    ]);
    s.setLatencySummary('write', [
      { p50: 300, p95: 1_000, p99: 4_000 },
      { p50: 300, p95: 1_000, p99: 4_500 },
    ]);
  }
  prom = await startPrometheus({ targets: [stubA.target, stubB.target] });
  registry = new PluginRegistry().register(prometheusPlugin);
  client = new PrometheusClient({ url: prom.url });
  await eventually(async () => {
    expect(await scalarOf(`up{instance="${stubA.target}"}`)).toBe(1);
    expect(await scalarOf(`up{instance="${stubB.target}"}`)).toBe(1);
  }, 30_000);
});

afterAll(async () => {
  await client?.close();
  await registry?.services.dispose();
  await prom?.close();
  await stubA?.close();
  await stubB?.close();
});

describe('PrometheusClient against a real Prometheus', () => {
  it('decodes vector, scalar, string and matrix results', async () => {
    const v = await client.query(`scylla_compaction_manager_pending_compactions{instance="${stubA.target}"}`);
    expect(v.resultType).toBe('vector');
    if (v.resultType === 'vector') {
      expect(v.result.map((s) => s.metric.shard).sort()).toEqual(['0', '1']);
      expect(v.result.every((s) => s.metric.job === 'scylla' && s.metric.instance === stubA.target)).toBe(true);
    }
    expect(await client.query('scalar(vector(7)) * 6')).toMatchObject({ resultType: 'scalar', result: { value: 42 } });
    expect(await client.query('"settled"')).toMatchObject({ resultType: 'string', result: { value: 'settled' } });

    const now = Date.now() / 1000;
    const m = await client.queryRange(`up{instance="${stubA.target}"}`, { start: now - 3, end: now, stepSeconds: 1 });
    expect(m.resultType).toBe('matrix');
    if (m.resultType === 'matrix') {
      expect(m.result).toHaveLength(1);
      expect(m.result[0]!.values.length).toBeGreaterThanOrEqual(1);
      expect(m.result[0]!.values.every((s) => s.value === 1)).toBe(true);
    }
    const r = await client.query(`up{instance="${stubA.target}"}[5s]`);
    expect(r.resultType).toBe('matrix');
  });

  it('reports an invalid query as an unrecoverable bad_data error with the parser message', async () => {
    const e = await client.query('sum(up{').catch((err: unknown) => err);
    expect(e instanceof PrometheusError).toBe(true);
    if (!(e instanceof PrometheusError)) return;
    expect([e.errorType, e.httpStatus, e.recoverable]).toEqual(['bad_data', 400, false]);
    expect(e.message).toMatch(/parse error/);
    expect(e.message).toContain('sum(up{');
  });
});

describe('compactions-nominal', () => {
  it('fails while the backlog is high, listing shards, and passes after it drains, honouring the success window', async () => {
    stubA.setCompactions([30, 12], [1, 1]);
    await pendingSeen(stubA, 42);
    const condition = registry.create('condition', 'compactions-nominal', {}) as NodeCondition;
    const high = await condition.check(ctxA());
    expect(high.ok).toBe(false);
    expect(high.detail).toBe(
      `pending 42 > max 10 (shard 0: 30, shard 1: 12); running 2 <= max 2 (1 per shard) (shard 0: 1, shard 1: 1) for instance="${stubA.target}"`,
    );

    const polls: ConditionPollInfo[] = [];
    const started = Date.now();
    let drainedAt = 0;
    const drain = setTimeout(() => {
      stubA.setCompactions([0, 0], [0, 0]);
      drainedAt = Date.now();
    }, 2_000);
    const check = new ConditionCheck(condition, { successWindowSeconds: 3, pollIntervalSeconds: 0.5, timeoutSeconds: 40 });
    const result = await waitForCondition(check, ctxA(), { onPoll: (p) => polls.push(p) });
    clearTimeout(drain);
    const passedAt = Date.now();

    expect(result.ok).toBe(true);
    expect(result.detail).toContain('pending 0 <= max 10 (all 2 shards: 0)');
    expect(polls[0]!.ok).toBe(false);
    expect(polls[0]!.detail).toContain('pending 42 > max 10');
    // The window: the passing poll is >= 3 s after the first good poll, and
    // the wait cannot end before the drain plus the window.
    const last = polls.at(-1)!;
    expect(last.passed).toBe(true);
    expect(last.heldSeconds).toBeGreaterThanOrEqual(3);
    const firstGood = polls.find((p) => p.ok)!;
    expect(last.at - firstGood.at).toBeGreaterThanOrEqual(3_000);
    expect(drainedAt).toBeGreaterThan(started);
    expect(passedAt - drainedAt).toBeGreaterThanOrEqual(3_000);
    expect(polls.filter((p) => p.ok).every((p) => p.at >= drainedAt)).toBe(true);
  }, 90_000);

  it('restarts the success window when the backlog comes back', async () => {
    stubA.setCompactions([0, 0], [0, 0]);
    await pendingSeen(stubA, 0);
    const polls: ConditionPollInfo[] = [];
    // Good now; at 1.5 s the backlog returns for 3 s; then good again.
    const t1 = setTimeout(() => stubA.setCompactions([20, 0], [0, 0]), 1_500);
    const t2 = setTimeout(() => stubA.setCompactions([0, 0], [0, 0]), 4_500);
    const check = new ConditionCheck(new CompactionsNominal(), { successWindowSeconds: 4, pollIntervalSeconds: 0.5, timeoutSeconds: 40 });
    await waitForCondition(check, ctxA(), { onPoll: (p) => polls.push(p) });
    clearTimeout(t1);
    clearTimeout(t2);
    const okThenBad = polls.findIndex((p, i) => i > 0 && !p.ok && polls[i - 1]!.ok);
    expect(okThenBad, JSON.stringify(polls.map((p) => [p.ok, p.heldSeconds]))).toBeGreaterThan(0);
    expect(polls[okThenBad]!.detail).toContain('pending 20 > max 10 (shard 0: 20, 1 more shard: 0)');
    expect(polls.slice(okThenBad + 1).some((p) => p.ok)).toBe(true);
    expect(polls.at(-1)!.heldSeconds).toBeGreaterThanOrEqual(4);
  }, 90_000);

  it('times out with the last detail when the backlog never drains', async () => {
    stubA.setCompactions([30, 12], [1, 1]);
    await pendingSeen(stubA, 42);
    const check = new ConditionCheck(new CompactionsNominal(), { successWindowSeconds: 0, pollIntervalSeconds: 0.5, timeoutSeconds: 2 });
    const e = await waitForCondition(check, ctxA()).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConditionTimeoutError);
    expect((e as ConditionTimeoutError).lastDetail).toContain('pending 42 > max 10 (shard 0: 30, shard 1: 12)');
    expect((e as Error).message).toContain('compactions-nominal did not hold within 2s');
    stubA.setCompactions([0, 0], [0, 0]);
    await pendingSeen(stubA, 0);
  });

  it('queries only its own node, and takes thresholds from YAML parameters', async () => {
    stubB.setCompactions([4, 4], [3, 2]);
    await pendingSeen(stubB, 8);
    const dflt = new CompactionsNominal();
    expect((await dflt.check(ctxA())).ok).toBe(true);
    const b = await dflt.check(ctxB());
    expect(b.ok).toBe(false);
    expect(b.detail).toBe(`pending 8 <= max 10 (shard 0: 4, shard 1: 4); running 5 > max 2 (1 per shard) (shard 0: 3, shard 1: 2) for instance="${stubB.target}"`);

    const lenient = registry.create('condition', 'compactions-nominal', { max_pending: 8, max_running: 5 }) as NodeCondition;
    expect((await lenient.check(ctxB())).ok).toBe(true);
    const strict = registry.create('condition', 'compactions-nominal', { max_pending: 7, max_running: 5 }) as NodeCondition;
    expect((await strict.check(ctxB())).detail).toMatch(/^pending 8 > max 7 /);
    stubB.setCompactions([0, 0], [0, 0]);
    await pendingSeen(stubB, 0);
  });

  it('fails, without throwing, when Prometheus has no series for the node', async () => {
    const ghost = node('n9', '10.9.9.9');
    const inv9 = inventory([ghost], { url: prom.url });
    const r = await new CompactionsNominal().check(nodeContext(registry.services, inv9, ghost));
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('no current scylla_compaction_manager_pending_compactions or scylla_compaction_manager_compactions series');
    expect(r.detail).toContain('instance="10.9.9.9:9180"');
  });
});

describe('node-operation-mode-normal', () => {
  it('fails while the node is DRAINED and passes once it is NORMAL', async () => {
    stubA.setOperationMode(7);
    await eventually(async () => expect(await scalarOf(`scylla_node_operation_mode{instance="${stubA.target}"}`)).toBe(7));
    const c = registry.create('condition', 'node-operation-mode-normal', {}) as NodeCondition;
    expect(await c.check(ctxA())).toEqual({
      ok: false,
      detail: `operation mode 7 (DRAINED), want 3 (NORMAL), for instance="${stubA.target}"`,
    });
    stubA.setOperationMode(3);
    await eventually(async () => expect(await scalarOf(`scylla_node_operation_mode{instance="${stubA.target}"}`)).toBe(3));
    expect(await new NodeOperationModeNormal().check(ctxA())).toEqual({ ok: true, detail: `operation mode 3 (NORMAL) for instance="${stubA.target}"` });
  });
});

describe('prometheus-query', () => {
  it('fills node placeholders and requires every series to satisfy the comparator', async () => {
    stubA.setCompactions([3, 12], [0, 0]);
    await pendingSeen(stubA, 15);
    const c = registry.create('condition', 'prometheus-query', {
      query: 'scylla_compaction_manager_pending_compactions{instance="{instance}"} + on() group_left() (vector(0) * 0 * count(up{instance=~"{instances}"}))',
      comparator: '<=',
      threshold: 10,
    }) as NodeCondition;
    const r = await c.check(ctxA());
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(new RegExp(`^1 of 2 values not <= 10: \\{instance="${stubA.target}",job="scylla",shard="1"\\} 12; passing: .*shard="0"\\} 3 \\(query: .*instance="${stubA.target}"`));

    const lt20 = registry.create('condition', 'prometheus-query', {
      query: 'sum(scylla_compaction_manager_pending_compactions{instance="{instance}"}) + 0 * count(up{job="scylla"} and on() vector(1)) and on() label_replace(vector(1), "x", "{dc}/{rack}/{address}/{id}", "", "")',
      comparator: '<',
      threshold: 20,
    }) as NodeCondition;
    expect(await lt20.check(ctxA())).toEqual({ ok: true, detail: 'all 1 value < 20: {} 15' });
    stubA.setCompactions([0, 0], [0, 0]);
    await pendingSeen(stubA, 0);
  });

  it('passes or fails an empty result as `empty` says (default fail)', async () => {
    const query = 'scylla_no_such_metric{instance="{instance}"}';
    const dflt = registry.create('condition', 'prometheus-query', { query, comparator: '==', threshold: 0 }) as NodeCondition;
    const failing = await dflt.check(ctxA());
    expect(failing).toEqual({ ok: false, detail: `query returned no series (empty: fail): scylla_no_such_metric{instance="${stubA.target}"}` });
    const passing = registry.create('condition', 'prometheus-query', { query, comparator: '==', threshold: 0, empty: 'pass' }) as NodeCondition;
    expect((await passing.check(ctxA())).ok).toBe(true);
  });

  it('throws an unrecoverable error at once for an invalid query', async () => {
    const bad = registry.create('condition', 'prometheus-query', { query: 'rate(up{instance="{instance}"})', comparator: '>', threshold: 0 }) as NodeCondition;
    const check = new ConditionCheck(bad, { pollIntervalSeconds: 0.5, timeoutSeconds: 30 });
    const started = Date.now();
    const e = await waitForCondition(check, ctxA()).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(e instanceof PrometheusError && e.errorType === 'bad_data' && !e.recoverable).toBe(true);
  });

  it('has a cluster-scoped twin with {cluster} and {instances}', async () => {
    const c = registry.create('condition', 'prometheus-cluster-query', {
      query: 'count(up{instance=~"{instances}"} == 1) + 0 * count(label_replace(vector(1), "c", "{cluster}", "", ""))',
      comparator: '==',
      threshold: 2,
    }) as ClusterCondition;
    expect(await c.check(clusterContext(registry.services, inv()))).toEqual({ ok: true, detail: 'all 1 value == 2: {} 2' });
  });
});

describe('coordinator-latency-below', () => {
  it('judges the worst series of the cluster in milliseconds', async () => {
    stubB.setLatencySummary('write', [
      { p50: 300, p95: 20_000, p99: 80_250 },
      { p50: 300, p95: 1_000, p99: 4_500 },
    ]);
    await eventually(async () =>
      expect(await scalarOf(`max(scylla_storage_proxy_coordinator_write_latency_summary{quantile="0.990000"})`)).toBe(80_250),
    );
    const cctx = clusterContext(registry.services, inv());
    const c = registry.create('condition', 'coordinator-latency-below', { max_ms: 50 }) as ClusterCondition;
    const r = await c.check(cctx);
    expect(r.ok).toBe(false);
    // Both nodes tie at 6 ms on shard 1: the smaller label set is named.
    const tie = [stubA.target, stubB.target].sort()[0];
    expect(r.detail).toContain(`p99 read: worst 6 ms <= 50 ms at {instance="${tie}",job="scylla",scheduling_group_name="statement",shard="1"} (4 series)`);
    expect(r.detail).toContain(`p99 write: worst 80.25 ms > 50 ms at {instance="${stubB.target}",job="scylla",scheduling_group_name="statement",shard="0"} (4 series)`);

    expect((await new CoordinatorLatencyBelow({ maxMs: 100 }).check(cctx)).ok).toBe(true);
    const p95 = await new CoordinatorLatencyBelow({ maxMs: 10, quantile: 0.95, operations: ['write'] }).check(cctx);
    expect(p95).toMatchObject({ ok: false });
    expect(p95.detail).toMatch(/^p95 write: worst 20 ms > 10 ms/);
    expect(p95.detail).not.toContain('read');
  });

  it('counts only the inventory nodes and fails for a quantile Scylla does not export', async () => {
    const onlyA = inventory([nodeA()], { url: prom.url });
    const cctx = clusterContext(registry.services, onlyA);
    expect(await new CoordinatorLatencyBelow({ maxMs: 50 }).check(cctx)).toMatchObject({ ok: true });
    const q9 = await new CoordinatorLatencyBelow({ maxMs: 50, quantile: 0.9 }).check(cctx);
    expect(q9.ok).toBe(false);
    expect(q9.detail).toContain('no series of scylla_storage_proxy_coordinator_read_latency_summary with quantile 0.9');
  });
});

describe('Prometheus stopped mid-wait', () => {
  it('fails polls recoverably and times out with a clear error when it does not come back', async () => {
    const polls: ConditionPollInfo[] = [];
    const check = new ConditionCheck(new CompactionsNominal(), { successWindowSeconds: 60, pollIntervalSeconds: 0.5, timeoutSeconds: 4 });
    // Stopped between two polls (they run every 500 ms from 0): this is about Prometheus being
    // down, not about a query caught by its shutdown (which once answered with an unrecoverable
    // error in CI; the message below says which if it happens again).
    const stopping = new Promise<void>((resolve) => setTimeout(() => void prom.stop().then(resolve), 1_250));
    const e = await waitForCondition(check, ctxA(), { onPoll: (p) => polls.push(p) }).catch((err: unknown) => err);
    await stopping;
    expect(e, String(e)).toBeInstanceOf(ConditionTimeoutError);
    const t = e as ConditionTimeoutError;
    expect(t.lastDetail).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query: ECONNREFUSED/);
    expect(polls.some((p) => p.ok)).toBe(true);
    expect(polls.filter((p) => p.error !== undefined).length).toBeGreaterThan(1);
    // A direct check throws the recoverable error itself.
    const direct = await new CompactionsNominal().check(ctxA()).catch((err: unknown) => err);
    expect(direct instanceof PrometheusError && direct.recoverable && direct.errorType === 'connection').toBe(true);
  });

  it('passes once Prometheus is back', async () => {
    const polls: ConditionPollInfo[] = [];
    const check = new ConditionCheck(new CompactionsNominal(), { successWindowSeconds: 1, pollIntervalSeconds: 0.5, timeoutSeconds: 60 });
    const restart = new Promise<void>((resolve, reject) => setTimeout(() => void prom.start().then(resolve, reject), 1_500));
    const r = await waitForCondition(check, ctxA(), { onPoll: (p) => polls.push(p) });
    await restart;
    expect(r.ok).toBe(true);
    expect(polls[0]!.error).toContain('ECONNREFUSED');
    expect(polls.at(-1)!.passed).toBe(true);
    // The same client (cached by the service provider) kept working.
    expect(prometheus(ctxA())).toBe(prometheus(ctxB()));
  }, 120_000);
});
