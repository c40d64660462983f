import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, FAST_DRAIN_RESTART, healCluster, jsonLines, REPO, runCli, startSim, storedSteps, tempHome } from './cli-harness.js';

let home: ReturnType<typeof tempHome>;
let workflowFile: string;

beforeAll(() => {
  assertBuilt();
  home = tempHome();
  workflowFile = path.join(home.dir, 'fast-drain-restart.yaml');
  fs.writeFileSync(workflowFile, FAST_DRAIN_RESTART);
});
afterAll(() => home.cleanup());

const nodeStarts = (events: Record<string, any>[]) =>
  events.filter((e) => e.event === 'step' && e.state === 'running' && e.stepId.endsWith('/t0')).map((e) => e.nodeId as string);

describe('scylla-cp validate', () => {
  it('accepts every example workflow', async () => {
    for (const f of ['drain-restart', 'config-change-restart', 'os-upgrade', 'repair']) {
      const r = await runCli(['validate', `examples/workflows/${f}.yaml`], home.env);
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('ok:');
    }
  });

  it('reports every problem with file:line:column and exits 2', async () => {
    const bad = path.join(home.dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      'name: broken\ncluster_tasks:\n  - task: !node-workflow\n      name: w\n      node_tasks:\n        - task: !scylla-drian\n  - task: !sleep\n      seconds: -1\n    retrys: 2\n',
    );
    const r = await runCli(['validate', bad], home.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+: .*scylla-drian.*scylla-drain/); // with a did-you-mean
    expect(r.stderr).toMatch(/bad\.yaml:8:\d+: .*seconds/);
    expect(r.stderr).toMatch(/bad\.yaml:9:\d+: .*retrys/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('scylla-cp against a simulated cluster', () => {
  let sim: Awaited<ReturnType<typeof startSim>>;
  let inventory: string;
  beforeAll(async () => {
    sim = await startSim('cli-e2e');
    inventory = await sim.inventoryFile(home.dir);
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('plan prints the batches and node order the engine then follows', async () => {
    const planned = await runCli(['plan', workflowFile, '-i', inventory, '--json'], home.env);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout);
    const order: string[] = plan.steps[0].batches.flatMap((b: { nodes: string[] }) => b.nodes);
    expect(order).toHaveLength(6);
    const human = await runCli(['plan', workflowFile, '-i', inventory], home.env);
    expect(human.code).toBe(0);
    for (const n of order) expect(human.stdout).toContain(n);

    const run = new CliProcess(['run', workflowFile, '-i', inventory, '--json', '--yes'], home.env, REPO);
    const r = await run.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(nodeStarts(run.events())).toEqual(order);
    const jobId = run.events().find((e) => e.event === 'job')!.jobId as string;

    const jobs = await runCli(['jobs'], home.env);
    expect(jobs.stdout).toMatch(new RegExp(`${jobId}\\s+succeeded\\s+cli-e2e\\s+tester`));
    const status = await runCli(['status', jobId], home.env);
    expect(status.stdout).toContain('SUCCEEDED');
    expect(status.stdout).toContain('progress: 24/24 steps succeeded');
  });

  it('SIGKILL mid-job, then resume completes without repeating a completed step', async () => {
    const before = sim.cluster.oplog.entries().length;
    const run = new CliProcess(['run', workflowFile, '-i', inventory, '--json', '--yes'], home.env, REPO);
    // kill after the third node has started its drain: two nodes done, one in flight
    await run.waitFor((ev) => nodeStarts(ev).length >= 3);
    run.child.kill('SIGKILL');
    await run.exited;
    const jobId = run.events().find((e) => e.event === 'job')!.jobId as string;
    const succeededAtKill = new Set((await storedSteps(home.db, jobId)).filter((s) => s.state === 'succeeded').map((s) => s.stepId));
    expect(succeededAtKill.size).toBeGreaterThanOrEqual(8);

    // the dead runner's lease must expire before another process may take the job over
    const status = await runCli(['status', jobId], home.env);
    expect(status.stdout).toContain('RUNNING');
    let resumed = await runCli(['resume', jobId, '--json'], home.env);
    // without --force, a held lease is refused with how long it has left
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/is being run by \S+ \(lease valid until \S+, \d+ s from now\)/);
    const deadline = Date.now() + 60_000;
    while (resumed.code !== 0 && /is being run by/.test(resumed.stderr) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      resumed = await runCli(['resume', jobId, '--json'], home.env);
    }
    expect(resumed.code, resumed.stderr).toBe(0);
    const rerun = jsonLines(resumed.stdout)
      .filter((e) => e.event === 'step' && e.state === 'running')
      .map((e) => e.stepId as string);
    for (const id of rerun) expect(succeededAtKill.has(id), `${id} was completed before the kill but ran again`).toBe(false);

    // the simulator agrees: every node was drained, stopped and started exactly once by this job,
    // except that the node in flight at the kill may repeat its interrupted step
    const ops = sim.cluster.oplog.entries().slice(before).filter((e) => e.actor !== 'control');
    const count = (node: string, action: string) => ops.filter((e) => e.node === node && e.action === action).length;
    for (const node of sim.cluster.nodes.map((n) => n.id)) {
      const done = [0, 1, 2, 3].every((i) => succeededAtKill.has(`s0/${node}/t${i}`));
      const untouched = ![0, 1, 2, 3].some((i) => succeededAtKill.has(`s0/${node}/t${i}`));
      if (done || untouched) {
        expect(count(node, 'drain'), `${node} drains`).toBe(1);
        expect(count(node, 'systemctl-stop'), `${node} stops`).toBe(1);
        expect(count(node, 'systemctl-start'), `${node} starts`).toBe(1);
      }
    }
    const final = await runCli(['status', jobId], home.env);
    expect(final.stdout).toContain('SUCCEEDED');
  }, 180_000);

  it('Ctrl-C (SIGINT) pauses after in-flight steps; exit 3; resume finishes', async () => {
    const run = new CliProcess(['run', workflowFile, '-i', inventory, '--yes'], home.env, REPO);
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (/systemd-stop-scylla-server on \S+ running/.test(run.stdout)) {
          clearInterval(t);
          resolve();
        } else if (run.child.exitCode !== null) {
          clearInterval(t);
          reject(new Error(run.stderr));
        }
      }, 20);
    });
    run.child.kill('SIGINT');
    const r = await run.exited;
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/pausing after the steps in flight finish/);
    const id = /resume it: scylla-cp resume (\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    const status = await runCli(['status', id!], home.env);
    expect(status.stdout).toContain('PAUSED');
    expect(status.stdout).toMatch(/systemd-stop-scylla-server: succeeded/); // the in-flight step finished
    const resumed = await runCli(['resume', id!], home.env);
    expect(resumed.code, resumed.stderr).toBe(0);
  }, 120_000);

  it('refuses a second job on a locked cluster, naming the holder', async () => {
    const first = new CliProcess(['run', workflowFile, '-i', inventory, '--json', '--yes', '--operator', 'alice'], home.env, REPO);
    await first.waitFor((ev) => nodeStarts(ev).length >= 1);
    const second = await runCli(['run', workflowFile, '-i', inventory, '--yes', '--operator', 'bob'], home.env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/locked by job \S+ \(operator alice/);
    first.child.kill('SIGINT');
    expect((await first.exited).code).toBe(3);
    const id = first.events().find((e) => e.event === 'job')!.jobId as string;
    const cancelled = await runCli(['cancel', id], home.env);
    expect(cancelled.code).toBe(0);
    await healCluster(sim.cluster); // the paused job left a node drained; the next run's preflight needs the cluster normal
  }, 120_000);
  it('a node that never returns halts the job (exit 1) and the Discord webhook gets the operator mention', async () => {
    const received: { body: any }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/1/secret-token`;
    const victim = sim.cluster.nodes[0]!.id;
    const fault = sim.cluster.faults.inject({ kind: 'never-return', node: victim });
    try {
      const r = await runCli(
        ['run', workflowFile, '-i', inventory, '--yes', '--var', 'settle_timeout_seconds=3', '--notify', `discord:${url}`, '--operator-mention', '424242'],
        home.env,
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/failed/);
      expect(r.stdout + r.stderr).not.toContain('secret-token'); // the webhook URL is a secret
      expect(received.length).toBeGreaterThanOrEqual(1);
      const msg = received[0]!.body;
      expect(msg.content).toContain('<@424242>');
      expect(msg.allowed_mentions).toMatchObject({ users: ['424242'] });
      const id = /scylla-cp status (\S+)/.exec(r.stdout)?.[1];
      await runCli(['cancel', id!], home.env);
    } finally {
      sim.cluster.faults.clear(fault);
      server.close();
      sim.cluster.powerOn(victim);
      await sim.cluster.systemctlStart(victim);
    }
  }, 120_000);

});

describe('scylla-cp input errors', () => {
  it('unknown variable, bad inventory and unknown job are clear errors with exit 2', async () => {
    const inv = path.join(home.dir, 'inv.yaml');
    fs.writeFileSync(inv, 'name: c\nnodes:\n  - id: a\n    address: 10.0.0.1\n    dc: dc1\n    rack: r1\n');
    const unknownVar = await runCli(['plan', 'examples/workflows/drain-restart.yaml', '-i', inv, '--var', 'nope=1'], home.env);
    expect(unknownVar.code).toBe(2);
    expect(unknownVar.stderr).toMatch(/nope/);
    fs.writeFileSync(inv, 'name: c\nnodes:\n  - id: a\n    adress: 10.0.0.1\n');
    const badInv = await runCli(['plan', 'examples/workflows/drain-restart.yaml', '-i', inv], home.env);
    expect(badInv.code).toBe(2);
    expect(badInv.stderr).toMatch(/inv\.yaml:\d+:\d+/);
    const noJob = await runCli(['status', 'job-does-not-exist'], home.env);
    expect(noJob.code).toBe(2);
    expect(noJob.stderr).toMatch(/no job with id job-does-not-exist/);
  });

  it('schema prints a JSON Schema naming the registered tags', async () => {
    const r = await runCli(['schema'], home.env);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(JSON.stringify(schema)).toContain('compactions-nominal');
  });
});
