// `scylla-cp logs` reads as a history: its lines are in time order (SRE review of the CLI,
// 2026-12-04: the condition polls of a step were printed after the step's success, seconds earlier
// than the line above them, because they were stored after the transition they rode along with).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdOf, startSim } from './cli-harness.js';
import { cliIn } from './in-process-cli.js';

let dir: string;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;
const cli = (args: string[]) => cliIn(dir, args);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-logs-order-'));
  sim = await startSim('logs-order');
  inventory = await sim.inventoryFile(dir);
  fs.writeFileSync(
    path.join(dir, 'wait.yaml'),
    `name: wait on each node\ncluster_tasks:\n  - task: !node-workflow\n      name: wait\n      concurrency_unit: node\n      node_tasks:\n        - task: !wait-for-conditions\n            conditions:\n              - {condition: !node-up-normal, success_window_seconds: 0.6, poll_interval_seconds: 0.2, timeout_seconds: 30}\n`,
  );
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('logs', () => {
  it('prints the events of a job in time order, each condition poll before the end of the step that waited on it', async () => {
    const run = await cli(['run', 'wait.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent', '--nodes', sim.cluster.nodes[0]!.id]);
    expect(run.code, run.err + run.out).toBe(0);
    const jobId = jobIdOf(run.out)!;
    const logs = await cli(['logs', jobId]);
    expect(logs.code, logs.err).toBe(0);
    const lines = logs.out.trim().split('\n');
    const polls = lines.filter((l) => /condition node-up-normal/.test(l));
    expect(polls.length, logs.out).toBeGreaterThanOrEqual(2);
    const times = lines.map((l) => /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s/.exec(l)?.[1]).filter((t): t is string => t !== undefined);
    expect(times.length).toBe(lines.filter((l) => /^\d{4}-/.test(l)).length);
    expect(times, logs.out).toEqual([...times].sort());
    const passedAt = lines.findIndex((l) => /condition node-up-normal: passed/.test(l));
    const succeededAt = lines.findIndex((l) => /wait-for-conditions succeeded/.test(l));
    expect(passedAt, logs.out).toBeGreaterThanOrEqual(0);
    expect(succeededAt, logs.out).toBeGreaterThan(passedAt);
  });
});
