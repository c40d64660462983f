// Operators' controls through the built CLI (issue 12's CLI items): cancel and
// cancel --now from another process, a failed job keeping the cluster lock,
// resume --inventory re-binding connection settings.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, FAST_DRAIN_RESTART, healCluster as heal, REPO, runCli, startSim, tempHome } from './cli-harness.js';

let home: ReturnType<typeof tempHome>;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;
let workflowFile: string;

beforeAll(async () => {
  assertBuilt();
  home = tempHome();
  workflowFile = path.join(home.dir, 'wf.yaml');
  fs.writeFileSync(workflowFile, FAST_DRAIN_RESTART.replace('success_window_seconds: 1', 'success_window_seconds: 3'));
  sim = await startSim('cli-controls');
  inventory = await sim.inventoryFile(home.dir);
});
afterAll(async () => {
  await sim?.stop();
  home?.cleanup();
});

const healCluster = () => heal(sim.cluster);

const steps = (run: CliProcess) => run.events().filter((e) => e.event === 'step');

describe('cancel from another process', () => {
  for (const now of [false, true]) {
    it(now ? 'cancel --now aborts the steps in flight, which still settle, then the job is cancelled' : 'cancel lets the steps in flight finish, starts no new step, then the job is cancelled', async () => {
      const run = new CliProcess(['run', workflowFile, '-i', inventory, '--yes', '--json'], home.env, REPO);
      // cancel while a node waits in its condition window
      await run.waitFor((ev) => ev.some((e) => e.event === 'step' && e.state === 'running' && e.stepId.endsWith('/t3')));
      const id = run.events().find((e) => e.event === 'job')!.jobId as string;
      const inFlight = steps(run).filter((e) => e.state === 'running' && e.stepId.endsWith('/t3')).map((e) => e.stepId as string);
      const nodesBefore = new Set(steps(run).filter((e) => e.state === 'running').map((e) => e.nodeId));
      const c = await runCli(['cancel', id, ...(now ? ['--now'] : [])], home.env);
      expect(c.code, c.stderr).toBe(0);
      expect(c.stdout).toMatch(
        now ? /cancel --now requested: .* aborts the steps in flight, waits until they stop, then ends cancelled/ : /cancel requested: .* starts no new step, lets the steps in flight finish, then ends cancelled/,
      );
      const r = await run.exited;
      expect(r.code).toBe(1);
      const after = steps(run);
      // no other node was started after the cancel
      expect(new Set(after.filter((e) => e.state === 'running').map((e) => e.nodeId))).toEqual(nodesBefore);
      const lastOfInFlight = after.filter((e) => inFlight.includes(e.stepId) && e.state !== 'running').map((e) => e.state);
      if (now) expect(lastOfInFlight).not.toContain('succeeded');
      else expect(lastOfInFlight).toEqual(inFlight.map(() => 'succeeded'));
      const st = await runCli(['status', id], home.env);
      expect(st.stdout).toContain('CANCELLED');
      // the lock is released: a dry run of a new job is not refused
      await healCluster();
      const dry = await runCli(['run', workflowFile, '-i', inventory, '--dry-run'], home.env);
      expect(dry.code, dry.stderr).toBe(0);
    }, 120_000);
  }
});

describe('a failed job', () => {
  it('keeps the cluster lock, and status and the lock error say so; cancel releases it', async () => {
    const victim = sim.cluster.nodes[0]!.id;
    const fault = sim.cluster.faults.inject({ kind: 'never-return', node: victim });
    try {
      const r = await runCli(['run', workflowFile, '-i', inventory, '--yes', '--var', 'settle_timeout_seconds=5'], home.env);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/keeps the cluster lock/);
      const id = /job (job-\S+) started/.exec(r.stdout)![1]!;
      const st = await runCli(['status', id], home.env);
      expect(st.stdout).toMatch(/FAILED/);
      expect(st.stdout).toMatch(/lock: +this failed job keeps the cluster lock on cli-controls/);
      const second = await runCli(['run', workflowFile, '-i', inventory, '--yes'], home.env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`locked by job ${id}.*failed mid-operation and keeps the lock`));
      expect(second.stderr).toMatch(new RegExp(`retry it: +scylla-cp retry ${id}`));
      const c = await runCli(['cancel', id], home.env);
      expect(c.stdout).toMatch(/cancelled \(it was failed; no runner held it\); the cluster lock is released/);
    } finally {
      sim.cluster.faults.clear(fault);
      sim.cluster.powerOn(victim);
      await healCluster();
    }
  }, 120_000);
});

describe('resume --inventory', () => {
  it('re-binds connection settings for the same nodes (recorded), and refuses a changed node set with an explanation', async () => {
    const run = new CliProcess(['run', workflowFile, '-i', inventory, '--yes', '--json'], home.env, REPO);
    await run.waitFor((ev) => ev.some((e) => e.event === 'step' && e.state === 'running'));
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(3);
    const id = run.events().find((e) => e.event === 'job')!.jobId as string;

    const inv = parseYaml(fs.readFileSync(inventory, 'utf8'));
    const fewer = { ...inv, nodes: inv.nodes.slice(1) };
    const fewerFile = path.join(home.dir, 'fewer.yaml');
    fs.writeFileSync(fewerFile, JSON.stringify(fewer));
    const refused = await runCli(['resume', id, '--inventory', fewerFile], home.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(inv.nodes[0].id));

    for (const n of inv.nodes) n.connection.scylla_api = { ...n.connection.scylla_api, connect_timeout_seconds: 7 };
    const rebound = path.join(home.dir, 'rebound.yaml');
    fs.writeFileSync(rebound, JSON.stringify(inv));
    const resumed = await runCli(['resume', id, '--inventory', rebound], home.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const logs = await runCli(['logs', id], home.env);
    expect(logs.stdout).toMatch(/job inventory-rebound/);
    const st = await runCli(['status', id, '-o', 'json'], home.env);
    expect(JSON.parse(st.stdout).job.plan.inventory.nodes[0].connection.scylla_api.connect_timeout_seconds).toBe(7);
  }, 120_000);
});
