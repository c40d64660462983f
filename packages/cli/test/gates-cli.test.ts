// Issue 15 items 3 and 4 through the CLI on a simulated cluster: !approval and approve, --stop-after, --window.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdOf, startSim, storedEvents } from './cli-harness.js';
import { cliIn } from './in-process-cli.js';
import { simGroup0LeaderNow } from '@scylla-cp/sim';

let dir: string;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;

const cli = (args: string[]) => cliIn(dir, args);
const events = (jobId: string) => storedEvents(path.join(dir, 'jobs.db'), jobId);

const CHECK_TASKS = `      node_tasks:
        - task: !wait-for-conditions
            conditions:
              - {condition: !node-up-normal, poll_interval_seconds: 0.2, timeout_seconds: 30}
`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-gates-'));
  sim = await startSim('gates');
  inventory = await sim.inventoryFile(dir);
  fs.writeFileSync(path.join(dir, 'gated.yaml'), `name: gated\ncluster_tasks:\n  - task: !approval {message: "look at the dashboards"}\n  - task: !node-workflow\n      name: check\n${CHECK_TASKS}`);
  fs.writeFileSync(path.join(dir, 'check.yaml'), `name: check\ncluster_tasks:\n  - task: !node-workflow\n      name: check\n      concurrency_unit: node\n${CHECK_TASKS}`);
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('human gates through the CLI', () => {
  it('!approval: run exits 3 saying how to approve; approve records the approver and runs the rest', async () => {
    const run = await cli(['run', 'gated.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent']);
    expect(run.code, run.err).toBe(3);
    const jobId = jobIdOf(run.out)!;
    expect(run.out).toContain(`waiting for approval of step s0: look at the dashboards; approve it with: scylla-cp approve ${jobId} --step s0`);
    const status = await cli(['status', jobId, '--json']);
    expect(JSON.parse(status.out).state ?? JSON.parse(status.out).job?.state).toBe('paused');
    const approved = await cli(['approve', jobId]);
    expect(approved.code, approved.err + approved.out).toBe(0);
    expect(approved.out).toContain(`approved: step s0 of job ${jobId} by tester`);
    const ev = await events(jobId);
    expect(ev.filter((e) => e.type === 'job.approved').map((e) => e.data)).toEqual([{ by: 'tester', stepId: 's0' }]);
    expect(ev.filter((e) => e.type === 'step.succeeded' && e.stepId?.startsWith('s1/'))).toHaveLength(6);
    const again = await cli(['approve', jobId]);
    expect(again.code).toBe(2);
  }, 60_000);

  it('--stop-after 2: two nodes run, the job pauses for approval, approve runs the other four', async () => {
    const run = await cli(['run', 'check.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent', '--stop-after', '2']);
    expect(run.code, run.err).toBe(3);
    const jobId = jobIdOf(run.out)!;
    expect(run.out).toContain(`canary: 2 node(s) finished; check them, then approve the rest; approve it with: scylla-cp approve ${jobId}`);
    expect((await events(jobId)).filter((e) => e.type === 'step.succeeded')).toHaveLength(2);
    const approved = await cli(['approve', jobId, '--operator', 'carol']);
    expect(approved.code, approved.err).toBe(0);
    const ev = await events(jobId);
    expect(ev.filter((e) => e.type === 'step.succeeded' && e.stepId?.startsWith('s0/'))).toHaveLength(6);
    expect(ev.find((e) => e.type === 'job.approved')?.data).toEqual({ by: 'carol', stepId: 'canary' });
  }, 60_000);
});

describe('maintenance windows through the CLI', () => {
  it('outside --window nothing starts; run exits 3 saying when the window opens next', async () => {
    const wd = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris', weekday: 'short' }).format(new Date());
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const closedDay = days[(days.indexOf(wd) + 3) % 7]!;
    const run = await cli(['run', 'check.yaml', '-i', inventory, '--yes', '--skip-preflight', '--allow-concurrent', '--window', `${closedDay} 10:00-11:00`, '--timezone', 'Europe/Paris']);
    expect(run.code, run.err).toBe(3);
    expect(run.out).toMatch(new RegExp(`outside the maintenance window ${closedDay} 10:00-11:00 \\(Europe/Paris\\): no node starts until it opens again at \\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00\\.000Z \\(${closedDay}, [0-9/]+, 10:00 Europe/Paris\\); resume the job then`));
    const jobId = jobIdOf(run.out)!;
    expect((await events(jobId)).filter((e) => e.type === 'step.started')).toHaveLength(0);
    const cancelled = await cli(['cancel', jobId]);
    expect(cancelled.code, cancelled.err).toBe(0);
  }, 60_000);

  it('plan shows the window and the canary; a bad window or zone is an input error (exit 2)', async () => {
    const p = await cli(['plan', 'check.yaml', '-i', inventory, '--window', 'Mon-Fri 09:00-17:00', '--timezone', 'Europe/Paris', '--stop-after', '1']);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toContain('Maintenance window: Mon-Fri 09:00-17:00 (Europe/Paris); no node starts outside it');
    expect(p.out).toContain('Canary: pauses for approval after 1 node(s) finished');
    const bad = await cli(['plan', 'check.yaml', '-i', inventory, '--window', 'Mon-Fri 25:00-26:00']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('start time "25:00" is not HH:MM');
    const zone = await cli(['plan', 'check.yaml', '-i', inventory, '--window', 'daily 09:00-17:00', '--timezone', 'Mars/Olympus']);
    expect(zone.code).toBe(2);
    expect(zone.err).toContain('unknown time zone "Mars/Olympus"');
    const alone = await cli(['plan', 'check.yaml', '-i', inventory, '--timezone', 'UTC']);
    expect(alone.code).toBe(2);
    expect(alone.err).toContain('--timezone needs a maintenance window');
  }, 60_000);
});

describe('role-aware order through the CLI (issue 15 item 6)', () => {
  it('plan --order role_aware puts the group0 leader last, read from the cluster (GET /raft/leader_host)', async () => {
    const leader = (await simGroup0LeaderNow(sim.cluster))!;
    fs.writeFileSync(
      path.join(dir, 'roles.yaml'),
      `name: roles\ncluster_tasks:\n  - task: !node-workflow\n      name: restart\n      order: role_aware\n      node_tasks:\n        - task: !scylla-raft-stepdown\n        - task: !scylla-drain\n`,
    );
    const p = await cli(['plan', 'roles.yaml', '-i', inventory, '--json']);
    expect(p.code, p.err).toBe(0);
    const planned = JSON.parse(p.out);
    const order: string[] = planned.steps[0].batches.flatMap((b: { nodes: string[] }) => b.nodes);
    expect(order).toHaveLength(6);
    expect(order[order.length - 1]).toBe(leader.id);
    expect(planned.steps[0].roles).toMatchObject({ unhealthy: [], leader: leader.id });
  }, 60_000);
});
