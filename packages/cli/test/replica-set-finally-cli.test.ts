// Issue 15 items 1 and 5 through the CLI on a simulated cluster over HTTP: `plan` and `run` of a
// replica_set workflow (the ring read from the cluster's REST API), and finally_tasks that turn
// tablet balancing back on whether the job succeeds or fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simTabletBalancing } from '@scylla-cp/sim';
import { jobIdOf, startSim, storedEvents } from './cli-harness.js';
import { cliIn } from './in-process-cli.js';

let dir: string;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;

const cli = (args: string[]) => cliIn(dir, args);
const events = (jobId: string) => storedEvents(path.join(dir, 'jobs.db'), jobId);

const workflow = (nodeCheck: string) => `name: replica-aware check
cluster_tasks:
  - task: !tablet-balancing {enabled: false}
  - task: !node-workflow
      name: check
      concurrency_unit: replica_set
      replica_set: {keyspaces: [ks1]}
      node_tasks:
        - task: !wait-for-conditions
            conditions:
              - {condition: ${nodeCheck}, poll_interval_seconds: 0.2, timeout_seconds: 2}
finally_tasks:
  - task: !tablet-balancing {enabled: true}
`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-rs-'));
  sim = await startSim('replica-set');
  inventory = await sim.inventoryFile(dir);
  fs.writeFileSync(path.join(dir, 'ok.yaml'), workflow('!node-up-normal'));
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('replica_set and finally_tasks through the CLI (issue 15)', () => {
  it('plan reads the ring from the cluster: one rack per batch, no batch holds two replicas of a ks1 range', async () => {
    const plan = await cli(['plan', 'ok.yaml', '-i', inventory, '-o', 'json']);
    expect(plan.code, plan.err).toBe(0);
    const p = JSON.parse(plan.out) as { steps: Array<{ kind: string; concurrencyUnit?: string; batches?: Array<{ nodes: string[] }> }>; finallySteps?: unknown[] };
    const step = p.steps.find((s) => s.kind === 'node-workflow')!;
    expect(step.concurrencyUnit).toBe('replica_set');
    const batches = step.batches!;
    expect(batches.flatMap((b) => b.nodes).sort()).toEqual(sim.cluster.nodes.map((n) => n.id).sort());
    const ks = sim.cluster.keyspace('ks1')!;
    const sets = sim.cluster.replicaSets(ks);
    for (const b of batches) for (const x of b.nodes) for (const y of b.nodes) if (x !== y) expect(sets.some((r) => r.replicas.includes(x) && r.replicas.includes(y))).toBe(false);
    expect(batches.length).toBeLessThan(sim.cluster.nodes.length);
    expect(p.finallySteps).toHaveLength(1);
    const human = await cli(['plan', 'ok.yaml', '-i', inventory]);
    expect(human.out).toMatch(/replica set/);
  }, 60_000);

  it('run succeeds batch by batch and the finally task turns balancing back on', async () => {
    const run = await cli(['run', 'ok.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent']);
    expect(run.code, run.err + run.out).toBe(0);
    const ev = await events(jobIdOf(run.out)!);
    expect(ev.filter((e) => e.type === 'step.succeeded' && e.stepId?.startsWith('s1/'))).toHaveLength(sim.cluster.nodes.length);
    expect(ev.some((e) => e.type === 'step.succeeded' && e.stepId === 'f0')).toBe(true);
    expect(simTabletBalancing(sim.cluster)).toBe(true);
  }, 90_000);

  it('a failed job still runs its finally task: balancing is back on and the job is failed', async () => {
    // a dead node never comes up within its wait: the job fails there
    sim.cluster.kill(sim.cluster.nodes[0]!.id);
    const run = await cli(['run', 'ok.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent']);
    expect(run.code, run.err + run.out).toBe(1);
    const jobId = jobIdOf(run.out)!;
    const ev = await events(jobId);
    const balancingOff = ev.findIndex((e) => e.type === 'step.succeeded' && e.stepId === 's0');
    const cleanup = ev.findIndex((e) => e.type === 'step.succeeded' && e.stepId === 'f0');
    expect(balancingOff).toBeGreaterThanOrEqual(0);
    expect(cleanup).toBeGreaterThan(balancingOff);
    expect(simTabletBalancing(sim.cluster)).toBe(true);
    const status = await cli(['status', jobId, '--json']);
    const s = JSON.parse(status.out) as { state?: string; job?: { state: string } };
    expect(s.state ?? s.job?.state).toBe('failed');
  }, 90_000);
});
