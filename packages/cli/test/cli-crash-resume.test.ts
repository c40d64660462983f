// Issue 12, the process-level test: the real CLI against `scylla-cp sim start`
// (another process, over HTTP), the SQLite store, `concurrency_limit: 2`;
// SIGKILL right after the job's second drain; `resume --force` takes over at
// once (the dead runner's pid is gone on this host) and completes, and the
// simulator's operation log shows that no token range of the RF=3 keyspace
// ever had more than one replica down.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, FAST_DRAIN_RESTART, REPO, runCli, tempHome } from './cli-harness.js';

interface OpLogEntry {
  seq: number;
  atMs: number;
  node: string;
  actor: string;
  action: string;
  detail?: Record<string, unknown>;
}

let home: ReturnType<typeof tempHome>;
let simProc: CliProcess;
let inv: { nodes: { id: string; address: string; connection: { scylla_api: { host: string; port: number }; shell: { url: string } } }[] };
let inventoryFile: string;
let workflowFile: string;

const control = () => inv.nodes[0]!.connection.shell.url;
const oplog = async (): Promise<OpLogEntry[]> => (await (await fetch(`${control()}/_sim/oplog`)).json()) as OpLogEntry[];

beforeAll(async () => {
  assertBuilt();
  home = tempHome();
  inventoryFile = path.join(home.dir, 'sim-inventory.yaml');
  simProc = new CliProcess(['sim', 'start', '--zones', '3', '--nodes-per-zone', '2', '--speed', '5', '--inventory-out', inventoryFile], home.env, home.dir);
  const t0 = Date.now();
  while (!/press Ctrl-C to stop/.test(simProc.stdout)) {
    if (simProc.child.exitCode !== null) throw new Error(`scylla-cp sim start exited: ${simProc.stderr}`);
    if (Date.now() - t0 > 30_000) throw new Error(`scylla-cp sim start did not come up: ${simProc.stdout}${simProc.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  inv = parseYaml(fs.readFileSync(inventoryFile, 'utf8'));
  workflowFile = path.join(home.dir, 'two-at-a-time.yaml');
  fs.writeFileSync(workflowFile, FAST_DRAIN_RESTART.replace('      name: Drain and restart each node\n', '      name: Drain and restart each node\n      concurrency_limit: 2\n'));
}, 60_000);
afterAll(async () => {
  if (simProc && simProc.child.exitCode === null) {
    simProc.child.kill('SIGINT');
    await simProc.exited;
  }
  home?.cleanup();
});

describe('SIGKILL right after two drains, then resume --force', () => {
  it('completes with never more than one replica of any range down', async () => {
    const { host, port } = inv.nodes[0]!.connection.scylla_api;
    const ring = (await (await fetch(`http://${host}:${port}/storage_service/describe_ring/system_distributed`)).json()) as { endpoints: string[] }[];
    const idOf = new Map(inv.nodes.map((n) => [n.address, n.id]));
    const replicaSets = ring.map((r) => r.endpoints.map((a) => idOf.get(a)!));
    expect(replicaSets.length).toBeGreaterThan(0);
    expect(replicaSets.every((s) => s.length === 3)).toBe(true);
    const before = (await oplog()).length;

    const run = new CliProcess(['run', workflowFile, '-i', inventoryFile, '--yes', '--json'], home.env, REPO);
    for (;;) {
      const drains = (await oplog()).slice(before).filter((e) => e.action === 'drain' && e.actor !== 'control');
      if (drains.length >= 2) break;
      if (run.child.exitCode !== null) throw new Error(`the run ended before two drains: ${run.stdout.slice(-2000)}${run.stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    run.child.kill('SIGKILL');
    await run.exited;
    const jobId = run.events().find((e) => e.event === 'job')!.jobId as string;

    const status = await runCli(['status', jobId], home.env);
    expect(status.stdout).toMatch(/runner: +dead \(pid \d+ is gone on this host/);
    expect(status.stdout).toMatch(new RegExp(`take it over: scylla-cp resume ${jobId} --force`));

    const t0 = Date.now();
    const resumed = await runCli(['resume', jobId, '--force'], home.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).not.toMatch(/waiting \d+ s for its lease/); // taken over at once, not after the 30 s lease
    expect(Date.now() - t0).toBeLessThan(120_000);
    const final = await runCli(['status', jobId], home.env);
    expect(final.stdout).toContain('SUCCEEDED');

    // Replay the operation log: a node is down from its drain until it serves again.
    const ops = (await oplog()).slice(before).filter((e) => e.actor !== 'control');
    const down = new Set<string>();
    let worst = 0;
    for (const e of ops) {
      if (e.action === 'drain' || e.action === 'systemctl-stop' || e.action === 'stopped') down.add(e.node);
      if (e.action === 'serving') down.delete(e.node);
      for (const set of replicaSets) {
        const n = set.filter((id) => down.has(id)).length;
        worst = Math.max(worst, n);
        expect(n, `after op ${e.seq} (${e.node} ${e.action}) ${[...down].join(', ')} are down together and share a token range`).toBeLessThanOrEqual(1);
      }
    }
    expect(down.size, `still down at the end: ${[...down].join(', ')}`).toBe(0);
    expect(worst).toBe(1);
    for (const n of inv.nodes) expect(ops.some((e) => e.node === n.id && e.action === 'drain'), `${n.id} drained`).toBe(true);
  }, 240_000);
});
