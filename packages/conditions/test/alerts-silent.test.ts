import {
  ConditionCheck,
  ConditionTimeoutError,
  corePlugin,
  parseWorkflow,
  plan,
  plannedPreconditionChecks,
  PluginRegistry,
  RecoverableError,
  waitForCondition,
  WorkflowError,
  type ClusterCondition,
  type ClusterInventory,
  type ConditionPollInfo,
  type NodeWorkflowStep,
} from '@scylla-cp/core';
import { SimCluster } from '@scylla-cp/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient, prometheusPlugin } from '../src/index.js';
import { startAlertmanager, type AlertmanagerServer } from './helpers/alertmanager-server.js';
import { clusterContext } from './helpers/contexts.js';
import { eventually } from './helpers/eventually.js';
import { freePort, startPrometheus, type PrometheusServer } from './helpers/prometheus-server.js';

// Issue 15: !alerts-silent against a real Alertmanager, fed by a real Prometheus whose rules fire
// on the simulated cluster's metrics.

const RULES = `groups:
  - name: scylla
    interval: 1s
    rules:
      - alert: ScyllaNodeScraped
        expr: up{job="scylla"} == 1
        labels: {team: other, severity: info}
      - alert: ScyllaCompactionBacklog
        expr: sum by (instance) (scylla_compaction_manager_pending_compactions) > 8
        labels: {team: db, severity: page}
        annotations: {summary: "compaction backlog on {{ $labels.instance }}"}
`;

const AM_CONFIG = `route:
  receiver: db
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['team="other"']
      receiver: other
receivers:
  - name: db
  - name: other
`;

let cluster: SimCluster;
let am: AlertmanagerServer;
let prom: PrometheusServer;
let inv: ClusterInventory;
let registry: PluginRegistry;

const condition = (params: Record<string, unknown>) => registry.create('condition', 'alerts-silent', params) as ClusterCondition;
const check = (params: Record<string, unknown>) => condition(params).check(clusterContext(registry.services, inv));

beforeAll(async () => {
  cluster = new SimCluster({
    name: 'sim-alerts',
    datacenters: [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }],
    nodesPerZone: 1,
    shardsPerNode: 4,
    timeScale: 0.5,
    timing: { restartCompactionBacklogPerShard: 8, compactionTaskMs: 2_000 },
  });
  await cluster.start();
  am = await startAlertmanager(AM_CONFIG);
  const simInv = cluster.inventory();
  const targets = simInv.nodes.map((n) => n.connection.prometheus_target as string);
  prom = await startPrometheus({ targets, rules: RULES, alertmanagerUrl: am.url });
  inv = { ...simInv, connection: { ...simInv.connection, alertmanager: { url: am.url, timeout_seconds: 2 } } };
  registry = new PluginRegistry().register(corePlugin, prometheusPlugin);
  // Every node is scraped, so the always-firing rule reaches Alertmanager for each.
  const client = new AlertmanagerClient({ url: am.url });
  await eventually(async () => expect((await client.alerts({ matchers: [{ name: 'alertname', op: '=', value: 'ScyllaNodeScraped' }] })).length).toBe(3), 60_000);
  await client.close();
}, 120_000);

afterAll(async () => {
  await registry?.services.dispose();
  await prom?.close();
  await am?.close();
  await cluster?.stop();
});

describe('!alerts-silent on a real Alertmanager and Prometheus (issue 15)', () => {
  it('holds while a rule on the simulated metrics fires, and passes once it resolves', async () => {
    const params = { matchers: ['alertname="ScyllaCompactionBacklog"'] };
    expect(await check(params)).toMatchObject({ ok: true, detail: expect.stringMatching(/^no alert matching alertname="ScyllaCompactionBacklog" firing/) });
    const n = inv.nodes[0]!;
    expect((await cluster.systemctlRestart(n.id)).exitCode).toBe(0);
    const firing = await eventually(async () => {
      const r = await check(params);
      expect(r.ok).toBe(false);
      return r;
    }, 60_000);
    expect(firing.detail).toMatch(new RegExp(`^1 alert matching alertname="ScyllaCompactionBacklog" firing: ScyllaCompactionBacklog\\{instance="${n.connection.prometheus_target as string}",severity="page"\\} since `));
    // Waited for as a gate would be: polls fail while it fires, then it holds for the window.
    const polls: ConditionPollInfo[] = [];
    const result = await waitForCondition(new ConditionCheck(condition(params), { successWindowSeconds: 2, pollIntervalSeconds: 0.5, timeoutSeconds: 90 }), clusterContext(registry.services, inv), {
      onPoll: (p) => polls.push(p),
    });
    expect(result.ok).toBe(true);
    expect(polls.some((p) => !p.ok && /ScyllaCompactionBacklog/.test(p.detail))).toBe(true);
  }, 120_000);

  it('matchers, receiver, silences and inhibitions', async () => {
    const scraped = ['alertname="ScyllaNodeScraped"'];
    const all = await check({ matchers: scraped });
    expect(all.ok).toBe(false);
    expect(all.detail).toMatch(/^3 alerts matching alertname="ScyllaNodeScraped" firing: /);
    expect((await check({ matchers: [...scraped, 'severity=~"page|critical"'] })).ok).toBe(true);
    expect((await check({ matchers: [...scraped, 'team!="db"'] })).ok).toBe(false);
    // Routed to "other", not to "db".
    expect((await check({ matchers: scraped, receiver: 'db' })).ok).toBe(true);
    expect((await check({ matchers: scraped, receiver: 'oth.*' })).ok).toBe(false);
    // An operator's silence lets the job go on, unless the gate counts silenced alerts.
    const id = await am.silence([{ name: 'alertname', value: 'ScyllaNodeScraped' }]);
    try {
      await eventually(async () => expect((await check({ matchers: scraped })).ok).toBe(true), 20_000);
      const counted = await check({ matchers: scraped, include_silenced: true });
      expect(counted.ok).toBe(false);
      expect(counted.detail).toContain('(silenced)');
    } finally {
      await am.expire(id);
    }
    await eventually(async () => expect((await check({ matchers: scraped })).ok).toBe(false), 20_000);
  });

  it('as a workflow gate: planned onto every node task, and holding the node while the alert fires', async () => {
    const wf = parseWorkflow(
      `name: gated restart
gates:
  - condition: !alerts-silent {matchers: ['alertname="ScyllaNodeScraped"']}
    poll_interval_seconds: 0.2
    timeout_seconds: 1
cluster_tasks:
  - task: !node-workflow
      name: restart
      node_tasks: [{task: !sleep {seconds: 1}}]
`,
      { registry, fileName: 'gated.yaml' },
    );
    const p = plan(wf, inv, {}, {}, { registry });
    const task = (p.steps[0] as NodeWorkflowStep).tasks[0]!;
    const [gate] = plannedPreconditionChecks(task, registry);
    const err = await waitForCondition(gate!, clusterContext(registry.services, inv)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionTimeoutError);
    expect((err as ConditionTimeoutError).message).toMatch(/3 alerts matching alertname="ScyllaNodeScraped" firing/);
    const id = await am.silence([{ name: 'alertname', value: 'ScyllaNodeScraped' }]);
    try {
      await eventually(async () => expect((await waitForCondition(gate!, clusterContext(registry.services, inv))).ok).toBe(true), 20_000);
    } finally {
      await am.expire(id);
    }
  });

  it('an unreachable Alertmanager is a failed poll, never "silent"', async () => {
    const port = await freePort();
    const dead = { ...inv, connection: { ...inv.connection, alertmanager: { url: `http://127.0.0.1:${port}`, timeout_seconds: 1 } } };
    const reg = new PluginRegistry().register(corePlugin, prometheusPlugin);
    const c = reg.create('condition', 'alerts-silent', {}) as ClusterCondition;
    await expect(c.check(clusterContext(reg.services, dead))).rejects.toBeInstanceOf(RecoverableError);
    const err = await waitForCondition(new ConditionCheck(c, { pollIntervalSeconds: 0.2, timeoutSeconds: 1 }), clusterContext(reg.services, dead)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionTimeoutError);
    expect((err as ConditionTimeoutError).message).toMatch(/unreachable/);
    await reg.services.dispose();
  });

  it('a bad matcher is refused when the workflow is validated, with its location', () => {
    try {
      parseWorkflow(
        'name: w\ncluster_tasks:\n  - task: !wait-for-conditions\n      conditions:\n        - condition: !alerts-silent\n            matchers: [\'alertname=="x"\', \'severity=~"(page"\']\n',
        { registry, fileName: 'w.yaml' },
      );
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      const p = (e as WorkflowError).problems.map((x) => `${x.location?.line}:${x.location?.column} ${x.message}`);
      expect(p).toEqual([
        expect.stringMatching(/^6:24 !alerts-silent: matchers\[0\]: "alertname=="x"" is not a matcher/),
        expect.stringMatching(/^6:42 !alerts-silent: matchers\[1\]: the regex of "severity=~"\(page"" does not compile/),
      ]);
    }
  });
});
