// Issue 15 item 2 through the CLI: a workflow-level `gates:` entry with `!alerts-silent`, against a
// real Alertmanager fed by a real Prometheus scraping the simulated cluster over HTTP. While the
// alert fires no node task runs and the job fails at the gate's timeout; once an operator
// silences it, the same workflow runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type AlertmanagerServer } from '../../conditions/test/helpers/alertmanager-server.js';
import { eventually } from '../../conditions/test/helpers/eventually.js';
import { startPrometheus, type PrometheusServer } from '../../conditions/test/helpers/prometheus-server.js';
import { AlertmanagerClient } from '@scylla-cp/conditions';
import { stringify } from 'yaml';
import { jobIdOf, startSim, storedEvents } from './cli-harness.js';
import { cliIn } from './in-process-cli.js';

const RULES = `groups:
  - name: scylla
    interval: 1s
    rules:
      - alert: ScyllaNodeScraped
        expr: up{job="scylla"} == 1
        labels: {severity: info}
`;
const AM_CONFIG = `route:
  receiver: db
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: db
`;

let dir: string;
let sim: Awaited<ReturnType<typeof startSim>>;
let am: AlertmanagerServer;
let prom: PrometheusServer;
let inventory: string;

const cli = (args: string[]) => cliIn(dir, args);
const events = (jobId: string) => storedEvents(path.join(dir, 'jobs.db'), jobId);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-alerts-'));
  sim = await startSim('alerts-gate');
  am = await startAlertmanager(AM_CONFIG);
  const simInv = sim.cluster.inventory();
  prom = await startPrometheus({ targets: simInv.nodes.map((n) => n.connection.prometheus_target as string), rules: RULES, alertmanagerUrl: am.url });
  const inv = { ...simInv, connection: { ...simInv.connection, alertmanager: { url: am.url, timeout_seconds: 2 } } };
  inventory = path.join(dir, 'inventory.yaml');
  fs.writeFileSync(inventory, stringify(inv));
  fs.writeFileSync(
    path.join(dir, 'gated.yaml'),
    `name: gated restart
gates:
  - condition: !alerts-silent {matchers: ['alertname="ScyllaNodeScraped"']}
    poll_interval_seconds: 0.2
    timeout_seconds: 2
cluster_tasks:
  - task: !node-workflow
      name: restart
      node_tasks:
        - task: !systemd-restart-service {service: scylla-server}
`,
  );
  const client = new AlertmanagerClient({ url: am.url });
  await eventually(async () => expect((await client.alerts({ matchers: [{ name: 'alertname', op: '=', value: 'ScyllaNodeScraped' }] })).length).toBe(simInv.nodes.length), 60_000);
  await client.close();
}, 120_000);
afterAll(async () => {
  await prom?.close();
  await am?.close();
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('!alerts-silent as a workflow gate through the CLI (issue 15 item 2)', () => {
  it('while the alert fires no node is restarted and the job fails at the gate; silenced, the job runs', async () => {
    const restartsBefore = sim.cluster.oplog.entries().filter((e) => /restart/.test(JSON.stringify(e))).length;
    const held = await cli(['run', 'gated.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent']);
    expect(held.code, held.err + held.out).toBe(1);
    const ev = await events(jobIdOf(held.out)!);
    expect(JSON.stringify(ev.filter((e) => e.type === 'step.failed'))).toMatch(/alerts? matching alertname=\\"ScyllaNodeScraped\\" firing/);
    expect(ev.filter((e) => e.type === 'step.succeeded')).toHaveLength(0);
    expect(sim.cluster.oplog.entries().filter((e) => /restart/.test(JSON.stringify(e))).length).toBe(restartsBefore);

    const id = await am.silence([{ name: 'alertname', value: 'ScyllaNodeScraped' }]);
    try {
      const client = new AlertmanagerClient({ url: am.url });
      await eventually(async () => expect((await client.alerts({ matchers: [{ name: 'alertname', op: '=', value: 'ScyllaNodeScraped' }] })).length).toBe(0), 20_000);
      await client.close();
      const run = await cli(['run', 'gated.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent']);
      expect(run.code, run.err + run.out).toBe(0);
      const ok = await events(jobIdOf(run.out)!);
      expect(ok.filter((e) => e.type === 'step.succeeded')).toHaveLength(sim.cluster.nodes.length);
      expect(sim.cluster.oplog.entries().filter((e) => /restart/.test(JSON.stringify(e))).length).toBeGreaterThan(restartsBefore);
    } finally {
      await am.expire(id);
    }
  }, 120_000);
});
