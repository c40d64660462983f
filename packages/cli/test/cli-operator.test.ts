// What an operator sees and confirms (issue 13), through the built CLI against
// a simulated cluster over HTTP: run's summary and confirmation, preflight,
// logs, status --watch, jobs, stored notify references, conventions.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, FAST_DRAIN_RESTART, jobIdOf, REPO, RETRYING_DRAIN_RESTART, runCli, startSim, startWebhook, tempHome } from './cli-harness.js';

let home: ReturnType<typeof tempHome>;
let workflowFile: string;
let retryWorkflow: string;
let sim: Awaited<ReturnType<typeof startSim>>;
let inventory: string;

/** Internal names that must never reach an operator. */
const INTERNAL = /ScaledClock|SimCluster|SqliteError|datatype mismatch|ZodError|TypeError|\bat \S+ \(|EISDIR(?!.*\/)/;

beforeAll(async () => {
  assertBuilt();
  home = tempHome();
  workflowFile = path.join(home.dir, 'fast-drain-restart.yaml');
  fs.writeFileSync(workflowFile, FAST_DRAIN_RESTART);
  retryWorkflow = path.join(home.dir, 'retrying.yaml');
  fs.writeFileSync(retryWorkflow, RETRYING_DRAIN_RESTART);
  sim = await startSim('cli-operator');
  inventory = await sim.inventoryFile(home.dir);
});
afterAll(async () => {
  await sim?.stop();
  home?.cleanup();
});


describe('conventions', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version'], home.env);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'packages/cli/package.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('every invalid input exits 2 naming the flag or file, never an internal class name', async () => {
    const dir = path.join(home.dir, 'a-directory');
    fs.mkdirSync(dir, { recursive: true });
    const cases: [string[], RegExp, NodeJS.ProcessEnv?][] = [
      [['jobs', '--limit', 'abc'], /--limit/],
      [['jobs', '--output', 'xml'], /--output/],
      [['status', 'x', '-o', 'toml'], /--output/],
      [['demo', '--speed', '0'], /--speed/],
      [['sim', 'start', '--zones', 'two'], /--zones/],
      [['plan', dir, '-i', inventory], new RegExp(`workflow ${dir} is a directory`)],
      [['plan', workflowFile, '-i', dir], new RegExp(`inventory \\(-i\\) ${dir} is a directory`)],
      [['plan', workflowFile, '-i', path.join(home.dir, 'missing.yaml')], /missing\.yaml: no such file/],
      [['--db', dir, 'jobs'], new RegExp(`--db: ${dir} is a directory`)],
      [['--config', dir, 'jobs'], new RegExp(`config file ${dir} is a directory`)],
      [['sim', 'start', '--inventory-out', dir], new RegExp(`--inventory-out ${dir} is a directory`)],
      [['logs', 'job-x', '--since', 'yesterday'], /--since yesterday/],
      [['run', workflowFile, '-i', inventory, '--yes', '--notify', 'discord:env:H3_UNSET_HOOK'], /H3_UNSET_HOOK is not set/],
      [['run', workflowFile, '-i', inventory, '--yes', '--notify', 'pager:https://x'], /--notify: unknown kind "pager"/],
      [['report', 'job-x', '--html', dir], /--html .* is a directory/],
      [['status', 'job-does-not-exist'], /no job with id job-does-not-exist/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, home.env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).not.toMatch(INTERNAL);
    }
  }, 240_000);

  it('jobs --cluster with no match says so; --output json|yaml on plan, jobs and status', async () => {
    const none = await runCli(['jobs', '--cluster', 'no-such-cluster'], home.env);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no jobs for cluster "no-such-cluster"/);
    const planYaml = await runCli(['plan', workflowFile, '-i', inventory, '--output', 'yaml'], home.env);
    expect(planYaml.code, planYaml.stderr).toBe(0);
    expect(parseYaml(planYaml.stdout).cluster).toBe('cli-operator');
    const planJson = await runCli(['plan', workflowFile, '-i', inventory, '-o', 'json'], home.env);
    expect(JSON.parse(planJson.stdout).steps[0].batches).toHaveLength(3);
    const jobsYaml = await runCli(['jobs', '-o', 'yaml'], home.env);
    expect(jobsYaml.code).toBe(0);
    expect(Array.isArray(parseYaml(jobsYaml.stdout))).toBe(true);
  });

  it('schema --vscode prints yaml-language-server settings with the custom tags', async () => {
    const r = await runCli(['schema', '--vscode'], home.env);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s['yaml.customTags']).toEqual(expect.arrayContaining(['!scylla-drain mapping', '!scylla-drain scalar', '!compactions-nominal mapping', '!node-workflow mapping']));
    expect(Object.keys(s['yaml.schemas'])).toEqual(['scylla-cp.schema.json']);
  });
});

describe('before anything runs', () => {
  it('run without a terminal and without --yes refuses with exit 2 and touches nothing', async () => {
    const before = sim.cluster.oplog.entries().length;
    const r = await runCli(['run', workflowFile, '-i', inventory], home.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no terminal to ask on.*\n.*--yes/);
    expect(sim.cluster.oplog.entries().filter((e) => e.actor !== 'control').length - before).toBe(0);
  });

  it('--dry-run prints the summary (secret redacted) and the preflight, and starts nothing', async () => {
    const before = sim.cluster.oplog.entries().length;
    const r = await runCli(['run', workflowFile, '-i', inventory, '--dry-run', '--notify', 'discord:https://discord.example/api/webhooks/1/sekrit-token'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cluster: +cli-operator \(6 nodes in the inventory, 6 targeted\)/);
    expect(r.stdout).toMatch(/zone rack1: dc1-rack1-n1, dc1-rack1-n2/);
    expect(r.stdout).toMatch(/variables: settle_timeout_seconds=30/);
    expect(r.stdout).toMatch(/notify: +discord \(https:\/\/discord\.example\/… redacted/);
    expect(r.stdout).not.toContain('sekrit-token');
    expect(r.stdout).toMatch(/preflight: all \d+ checks passed/);
    expect(r.stdout).toMatch(/dry run: nothing was started/);
    const jobs = await runCli(['jobs', '--cluster', 'cli-operator'], home.env);
    expect(jobs.stdout).toMatch(/no jobs for cluster/);
    // the preflight only reads: no drain, stop or start
    const writes = sim.cluster.oplog.entries().slice(before).filter((e) => e.actor !== 'control' && /drain|systemctl-(stop|start)/.test(e.action));
    expect(writes).toEqual([]);
  });

  it('preflight reports unreachable REST, ssh and Prometheus per node in a table, exit 1, nothing touched', async () => {
    const inv = parseYaml(fs.readFileSync(inventory, 'utf8'));
    const victim = inv.nodes[0];
    victim.connection.scylla_api = { ...victim.connection.scylla_api, port: 1 }; // nothing listens on port 1
    const second = inv.nodes[1];
    second.connection.shell = { kind: 'ssh' };
    second.connection.ssh = { port: 1, connect_timeout_seconds: 2 };
    inv.connection.prometheus = { ...inv.connection.prometheus, url: 'http://127.0.0.1:1' };
    const bad = path.join(home.dir, 'bad-inventory.yaml');
    fs.writeFileSync(bad, JSON.stringify(inv));
    const before = sim.cluster.oplog.entries().length;
    const r = await runCli(['preflight', workflowFile, '-i', bad], home.env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/RESULT\s+CHECK\s+NODE\s+DETAIL/);
    expect(r.stdout).toMatch(new RegExp(`FAIL\\s+rest-api\\s+${victim.id}\\s+\\S`));
    expect(r.stdout).toMatch(new RegExp(`FAIL\\s+ssh\\s+${second.id}\\s+\\S`));
    expect(r.stdout).toMatch(/FAIL\s+prometheus\s+\S+\s+.*127\.0\.0\.1:1/);
    expect(r.stdout).toMatch(/checks failed; nothing was changed on the cluster/);
    // run stops at the same preflight
    const run = await runCli(['run', workflowFile, '-i', bad, '--yes'], home.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the preflight failed/);
    expect(sim.cluster.oplog.entries().slice(before).filter((e) => e.actor !== 'control' && /drain|systemctl/.test(e.action))).toEqual([]);
  }, 60_000);
});

describe('a job, its history and its followers', () => {
  it('prints each job event and retry once; --skip-preflight and notify references are stored; resume pages the stored target', async () => {
    // A local webhook stands in for Discord; its URL is given through an environment variable.
    const hook = await startWebhook('/api/webhooks/9/the-secret-token');
    const { received, url } = hook;
    const env = { ...home.env, H3_HOOK: url };
    const victim = sim.cluster.nodes[0]!.id;
    const fault = sim.cluster.faults.inject({ kind: 'api-errors', node: victim, status: 500, count: 1, pathPrefix: '/storage_service/drain', method: 'POST' });
    try {
      const run = new CliProcess(['run', retryWorkflow, '-i', inventory, '--yes', '--skip-preflight', '--notify', 'discord:env:H3_HOOK', '--notify-on-success'], env, REPO);
      // Ctrl-C once the retried node is past its drain: the job pauses (exit 3)
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (/systemd-stop-scylla-server on \S+ running|systemd-stop-scylla-server on \S+ succeeded/.test(run.stdout) || /step 2\/4/.test(run.stdout)) {
            clearInterval(t);
            resolve();
          } else if (run.child.exitCode !== null) {
            clearInterval(t);
            reject(new Error(run.stdout + run.stderr));
          }
        }, 20);
        setTimeout(() => {
          clearInterval(t);
          resolve();
        }, 20_000);
      });
      run.child.kill('SIGINT');
      const r = await run.exited;
      expect(r.code, r.stdout + r.stderr).toBe(3);
      const id = jobIdOf(r.stdout)!;
      expect(r.stdout.match(new RegExp(`job ${id} started`, 'g'))).toHaveLength(1);
      expect(r.stdout.match(new RegExp(`job ${id} paused`, 'g'))).toHaveLength(1);
      expect(r.stdout.match(/attempt 1 failed/g)).toHaveLength(1); // the retry, once (the engine's mirrored log line is not printed)

      const status = await runCli(['status', id, '-o', 'json'], env);
      const st = JSON.parse(status.stdout);
      expect(st.job.plan.cli).toMatchObject({ skipPreflight: true, notify: ['discord:env:H3_HOOK'], notifyOnSuccess: true });
      const human = await runCli(['status', id], env);
      expect(human.stdout).toMatch(/preflight: SKIPPED \(--skip-preflight\)/);
      expect(fs.readFileSync(home.db).includes(Buffer.from('the-secret-token'))).toBe(false); // the secret is not stored

      // resume without --notify: the stored reference pages on success
      const pagedBefore = received.length;
      const resumed = await runCli(['resume', id], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      const deadline = Date.now() + 10_000;
      while (received.length === pagedBefore && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      expect(received.length).toBeGreaterThan(pagedBefore);
      expect(JSON.stringify(received.slice(pagedBefore))).toContain(id);
      expect(JSON.stringify(received.slice(pagedBefore))).toMatch(/succeeded/i);
      expect(resumed.stdout + resumed.stderr).not.toContain('the-secret-token');

      // logs: the history, with the retry and the pause and resume
      const logs = await runCli(['logs', id], env);
      expect(logs.code).toBe(0);
      expect(logs.stdout).toMatch(new RegExp(`${victim} step 1/4 !scylla-drain attempt 1 failed: .*; retry in`));
      expect(logs.stdout).toMatch(/job paused/);
      expect(logs.stdout).toMatch(/job resumed/);
      expect(logs.stdout).toMatch(/job succeeded/);
      const json = await runCli(['logs', id, '--json'], env);
      const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(events.filter((e) => e.type === 'step.retry')).toHaveLength(1);
      const future = await runCli(['logs', id, '--since', new Date(Date.now() + 3600_000).toISOString()], env);
      expect(future.stdout).toBe('');
      const recent = await runCli(['logs', id, '--since', '1h'], env);
      expect(recent.stdout.split('\n').length).toBe(logs.stdout.split('\n').length);

      const jobs = await runCli(['jobs', '--cluster', 'cli-operator'], env);
      expect(jobs.stdout).toMatch(/STEPS\s+DURATION\s+RUNNER/);
      expect(jobs.stdout).toMatch(new RegExp(`${id}\\s+succeeded\\s+cli-operator\\s+tester\\s+24/24\\s+\\d+(m\\d+)?s\\s+-`));
    } finally {
      sim.cluster.faults.clear(fault);
      await hook.close();
    }
  }, 180_000);

  it('status --watch and logs --follow follow a job run by another process; jobs and status show the runner alive, then dead after SIGKILL', async () => {
    const run = new CliProcess(['run', workflowFile, '-i', inventory, '--yes', '--json'], home.env, REPO);
    await run.waitFor((ev) => ev.some((e) => e.event === 'step' && e.state === 'running'));
    const id = run.events().find((e) => e.event === 'job')!.jobId as string;
    const jobs = await runCli(['jobs', '--cluster', 'cli-operator', '-o', 'json'], home.env);
    const row = JSON.parse(jobs.stdout).find((j: any) => j.id === id);
    expect(row).toMatchObject({ state: 'running', runner: 'alive', stepsTotal: 24 });
    const watch = new CliProcess(['status', id, '--watch'], home.env, REPO);
    const follow = new CliProcess(['logs', id, '--follow'], home.env, REPO);
    const [w, f, r] = await Promise.all([watch.exited, follow.exited, run.exited]);
    expect(r.code).toBe(0);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/runner: alive \(pid \d+ on this host\)/);
    expect(w.stdout).toMatch(/SUCCEEDED/);
    expect(w.stdout).toMatch(/nodes 6\/6, steps 24\/24/);
    expect(w.stdout).toMatch(/step \d\/4 \S+ +attempt 1/); // a node in flight, by step name and attempt
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/job succeeded/);
    expect(f.stdout.match(/succeeded \(attempt 1\)/g)!.length).toBe(24);

    // a runner killed at once is shown dead (its pid is gone on this host)
    const victim = new CliProcess(['run', workflowFile, '-i', inventory, '--yes', '--json'], home.env, REPO);
    await victim.waitFor((ev) => ev.some((e) => e.event === 'step' && e.state === 'running'));
    const vid = victim.events().find((e) => e.event === 'job')!.jobId as string;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const st = await runCli(['status', vid], home.env);
    expect(st.stdout).toMatch(/runner: +dead \(pid \d+ is gone on this host/);
    const js = await runCli(['jobs', '--cluster', 'cli-operator'], home.env);
    expect(js.stdout).toMatch(new RegExp(`${vid}\\s+running\\s+.*\\s+dead\\s`));
    const pause = await runCli(['pause', vid], home.env);
    expect(pause.code).toBe(1); // a pause nobody would act on is not recorded silently
    expect(pause.stderr).toMatch(/its runner is dead .*nothing is running it/);
    expect(pause.stderr).toMatch(new RegExp(`continue it: scylla-cp resume ${vid} --force`));
    const watchDead = await runCli(['status', vid, '--watch'], home.env);
    expect(watchDead.stdout).toMatch(/the runner is dead/);
    // clean up: wait out the lease and cancel
    let cancelled = await runCli(['cancel', vid], home.env);
    const deadline = Date.now() + 60_000;
    while (!/cancelled \(it was/.test(cancelled.stdout) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 1000));
      cancelled = await runCli(['cancel', vid], home.env);
    }
    expect(cancelled.stdout).toMatch(/cancelled \(it was running/);
  }, 180_000);
});
