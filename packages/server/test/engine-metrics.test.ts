import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  corePlugin,
  definePlugin,
  MemoryStore,
  PluginRegistry,
  RecoverableError,
  UnrecoverableError,
  parseInventory,
  parseWorkflow,
  plan,
  type ExecuteNodeTask,
  type NodeCondition,
} from '@scylla-cp/core';
import { createServer, type ScyllaCpServer } from '../src/index.js';
import { inventoryYaml, OPERATOR_TOKEN, TEST_TOKENS, waitFor } from './helpers.js';
import { startTestPrometheus, type TestPrometheus } from './prometheus-harness.js';

// Item 4 of issue 17: the engine's own metrics on /metrics, scraped by a real Prometheus.

const attemptsByNode = new Map<string, number>();
const pollsByNode = new Map<string, number>();
const testPlugin = definePlugin({
  name: 'metrics-test',
  version: '1.0.0',
  nodeTasks: {
    'fail-once': {
      description: 'fails recoverably on its first attempt on each node',
      params: z.strictObject({}),
      create: (): ExecuteNodeTask => ({
        name: () => 'fail-once',
        preconditions: () => [],
        async execute(ctx) {
          const n = (attemptsByNode.get(ctx.node.id) ?? 0) + 1;
          attemptsByNode.set(ctx.node.id, n);
          if (n === 1) throw new RecoverableError('first attempt fails');
          return { attempts: n };
        },
      }),
    },
    'always-fail': {
      description: 'fails for good',
      params: z.strictObject({}),
      create: (): ExecuteNodeTask => ({
        name: () => 'always-fail',
        preconditions: () => [],
        async execute() {
          throw new UnrecoverableError('this task always fails');
        },
      }),
    },
  },
  conditions: {
    'ok-after-two': {
      scope: 'node',
      description: 'holds from its third poll on each node',
      params: z.strictObject({}),
      create: (): NodeCondition => ({
        name: () => 'ok-after-two',
        async check(ctx) {
          const n = (pollsByNode.get(ctx.node.id) ?? 0) + 1;
          pollsByNode.set(ctx.node.id, n);
          return { ok: n >= 3, detail: `poll ${n}` };
        },
      }),
    },
  },
});

const GOOD = `name: good
cluster_tasks:
  - task: !node-workflow
      name: each node
      concurrency_unit: node
      node_tasks:
        - task: !wait-for-conditions
            conditions:
              - condition: !ok-after-two
                poll_interval_seconds: 0.05
                timeout_seconds: 10
        - task: !fail-once
          retries: 2
          retry_backoff: { initial_seconds: 0.01, multiplier: 1, max_seconds: 0.01 }
        - task: !sleep
            seconds: 0.01
`;
const BAD = `name: bad
cluster_tasks:
  - task: !node-workflow
      name: each node
      node_tasks:
        - task: !always-fail
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('engine metrics on /metrics', () => {
  it('counts jobs by state, steps by task, retries, condition polls and waits, step durations, takeovers and notification failures, as Prometheus scrapes them', async () => {
    // A webhook receiver that always answers 500: every notification fails.
    let webhookHits = 0;
    const hook = http.createServer((_req, res) => {
      webhookHits++;
      res.writeHead(500).end('no');
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => hook.close(() => r())));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;

    const store = new MemoryStore();
    const registry = new PluginRegistry().register(corePlugin, testPlugin);
    const server: ScyllaCpServer = await createServer({
      store,
      registry,
      tokens: TEST_TOKENS,
      leaseTtlSeconds: 1,
      scanIntervalMs: 100,
      notify: { targets: [{ kind: 'webhook', url: hookUrl }], maxAttempts: 2, initialDelayMs: 10 },
    });
    const base = await server.listen();
    cleanups.push(() => server.close());
    const prom: TestPrometheus = await startTestPrometheus(new URL(base).host);
    cleanups.push(() => prom.close());

    const submit = async (workflow: string, cluster: string, nodes: number) => {
      const res = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ workflow, inventory: inventoryYaml(cluster, nodes) }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { job: { id: string } }).job.id;
    };
    const ended = (id: string) => waitFor(`job ${id} to end`, async () => {
      const s = (await store.getJob(id)).state;
      return s === 'succeeded' || s === 'failed' ? s : undefined;
    });
    expect(await ended(await submit(GOOD, 'good', 3))).toBe('succeeded');
    expect(await ended(await submit(BAD, 'bad', 1))).toBe('failed');

    // A job whose runner "died": leased by a holder that never renews, left running.
    const orphanPlan = plan(parseWorkflow(GOOD.replace('!fail-once', '!sleep\n            seconds: 0').replace(/\n          retries: 2\n          retry_backoff: .*\n/, '\n'), { registry }), parseInventory(inventoryYaml('orphan', 1)), {}, {}, { registry });
    await store.createJob({ id: 'orphan-1', cluster: 'orphan', operator: 'dead', workflowName: orphanPlan.workflowName, workflowText: '-', plan: orphanPlan, at: Date.now() });
    const deadLease = await store.acquireLease('orphan-1', 'dead-runner', 500, Date.now());
    await store.commit(deadLease, { at: Date.now(), job: { state: 'running' }, events: [{ type: 'job.started', data: { holder: 'dead-runner' } }] });
    expect(await ended('orphan-1')).toBe('succeeded');
    await waitFor('notification failures', () => (webhookHits >= 2 ? true : undefined));

    const value = async (q: string) => {
      const r = await prom.query(q);
      return r.length === 0 ? undefined : Number(r[0]!.value[1]);
    };
    const eventually = (q: string, expected: number) =>
      waitFor(`${q} == ${expected} in Prometheus`, async () => ((await value(q)) === expected ? true : undefined), 30_000);

    await eventually('scylla_cp_jobs{state="succeeded"}', 2);
    await eventually('scylla_cp_jobs{state="failed"}', 1);
    await eventually('scylla_cp_jobs{state="running"}', 0);
    await eventually('scylla_cp_steps_succeeded_total{task="fail-once"}', 3);
    await eventually('scylla_cp_steps_started_total{task="fail-once"}', 3);
    await eventually('scylla_cp_step_retries_total{task="fail-once"}', 3);
    await eventually('scylla_cp_steps_failed_total{task="always-fail"}', 1);
    await eventually('scylla_cp_steps_succeeded_total{task="sleep"}', 3 + 2);
    // 3 nodes x 3 polls in the good job, and 1 node x 3 polls in the orphan (the counter per node keeps counting: it holds from poll 3 on).
    await eventually('sum(scylla_cp_condition_polls_total{condition="ok-after-two"})', 3 * 3 + 1);
    await eventually('scylla_cp_condition_polls_total{condition="ok-after-two",ok="false"}', 6);
    await eventually('scylla_cp_condition_wait_seconds_count{condition="ok-after-two"}', 4);
    await eventually('scylla_cp_step_duration_seconds_count{task="fail-once",outcome="succeeded"}', 3);
    await eventually('scylla_cp_step_duration_seconds_count{task="always-fail",outcome="failed"}', 1);
    await eventually('scylla_cp_lease_takeovers_total', 1);
    await eventually('scylla_cp_notification_failures_total{channel="webhook"}', 1);
    // The 3 waits of the good job each took at least two poll intervals.
    expect(await value('scylla_cp_condition_wait_seconds_sum{condition="ok-after-two"}')).toBeGreaterThanOrEqual(3 * 2 * 0.05);
  }, 120_000);
});
