import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimCluster, SimPrometheus } from '@scylla-cp/sim';
import { SystemClock, type StepRecord, type StoredEvent } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = path.join(REPO, 'packages/cli/bin/scylla-cp.js');

/** Fails loudly when the CLI has not been built (the README's `npm test` builds first). */
export function assertBuilt(): void {
  const dist = path.join(REPO, 'packages/cli/dist/index.js');
  if (!fs.existsSync(dist)) throw new Error(`the CLI is not built (${dist} is missing): run \`npm run build\` first (\`npm test\` does)`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A spawned CLI whose output is collected as it comes. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;

  constructor(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.stdout += String(d)));
    this.child.stderr!.on('data', (d) => (this.stderr += String(d)));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })));
  }

  /** JSON events printed so far (with `--json`). */
  events(): Record<string, any>[] {
    return jsonLines(this.stdout);
  }

  /** Waits until `pred` holds on the events, or fails after `timeoutMs`. */
  async waitFor(pred: (events: Record<string, any>[]) => boolean, timeoutMs = 60_000): Promise<void> {
    const start = Date.now();
    while (!pred(this.events())) {
      if (this.child.exitCode !== null) throw new Error(`the CLI exited (${this.child.exitCode}) before the awaited event; stderr: ${this.stderr}`);
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for an event; stdout so far:\n${this.stdout.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** The lines of `text` that are JSON objects (`--json` output), parsed; other lines are left out. */
export function jsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** The job id a CLI message names (`job job-20261204-190248-0a1b2c3d ...`), or undefined. */
export const jobIdOf = (text: string): string | undefined => /job (job-\d{8}-\d{6}-[0-9a-f]{8})/.exec(text)?.[1];

/** The events of job `jobId` in the SQLite job store `db` (opened and closed again). */
export async function storedEvents(db: string, jobId: string): Promise<StoredEvent[]> {
  const store = await SqliteStore.open(db);
  try {
    return await store.listEvents(jobId);
  } finally {
    await store.close();
  }
}

/** The step records of job `jobId` in the SQLite job store `db` (opened and closed again). */
export async function storedSteps(db: string, jobId: string): Promise<StepRecord[]> {
  const store = await SqliteStore.open(db);
  try {
    return await store.getSteps(jobId);
  } finally {
    await store.close();
  }
}

/** A webhook receiver on 127.0.0.1 standing in for Discord, Slack or a webhook: every POSTed JSON body, in order. */
export async function startWebhook(pathname = '/hook'): Promise<{ url: string; received: unknown[]; close(): Promise<void> }> {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A temporary home (store, state) and working directory for one test file. */
export function tempHome(): { dir: string; env: NodeJS.ProcessEnv; db: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scylla-cp-cli-'));
  const db = path.join(dir, 'jobs.db');
  return { dir, db, env: { SCYLLA_CP_HOME: dir, SCYLLA_CP_DB: db, SCYLLA_CP_OPERATOR: 'tester' }, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = REPO): Promise<CliResult> {
  return new CliProcess(args, env, cwd).exited;
}

/** A simulated 6-node, 3-zone cluster over HTTP with a Prometheus stand-in, 10x faster timings. */
export async function startSim(name: string): Promise<{ cluster: SimCluster; prometheus: SimPrometheus; inventoryFile: (dir: string) => Promise<string>; stop(): Promise<void> }> {
  const clock = new SystemClock();
  const cluster = new SimCluster({ name, clock, seed: 7, nodesPerZone: 2, timeScale: 0.1, datacenters: [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }] });
  await cluster.start();
  const prometheus = new SimPrometheus(cluster.scrapeTargets(), { now: () => clock.now() });
  await prometheus.listen();
  return {
    cluster,
    prometheus,
    async inventoryFile(dir) {
      const f = path.join(dir, `${name}-inventory.yaml`);
      await cluster.writeInventory(f, { prometheusUrl: prometheus.url });
      return f;
    },
    async stop() {
      await prometheus.close();
      await cluster.stop();
    },
  };
}

/**
 * Brings back every node of `cluster` that a cancelled or paused job left
 * drained or stopped, and waits until all serve again (so that the next
 * test's preflight finds the cluster normal).
 */
export async function healCluster(cluster: SimCluster, timeoutMs = 30_000): Promise<void> {
  for (const n of cluster.summary()) {
    if (!n.hostUp) cluster.powerOn(n.id);
    if (n.mode !== 'NORMAL' || !n.nativeTransport) await cluster.systemctlRestart(n.id);
  }
  const t0 = Date.now();
  while (cluster.summary().some((n) => n.mode !== 'NORMAL' || !n.nativeTransport)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the simulated cluster did not come back: ${JSON.stringify(cluster.summary())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The canonical drain-and-restart with short windows, for tests. */
export const FAST_DRAIN_RESTART = `name: Fast drain and restart (test)
variables:
  - name: settle_timeout_seconds
    type: integer
    default: 30
cluster_tasks:
  - task: !node-workflow
      name: Drain and restart each node
      node_tasks:
        - task: !scylla-drain
        - task: !systemd-stop-scylla-server
        - task: !systemd-start-service
            service: scylla-server
        - task: !wait-for-conditions
            conditions:
              - condition: !compactions-nominal
                success_window_seconds: 1
                poll_interval_seconds: 0.25
                timeout_seconds: +settle_timeout_seconds+
`;

/** {@link FAST_DRAIN_RESTART} whose drain is retried twice (0.2 s apart), for tests that make a drain fail once. */
export const RETRYING_DRAIN_RESTART = FAST_DRAIN_RESTART.replace(
  '        - task: !scylla-drain\n',
  '        - task: !scylla-drain\n          retries: 2\n          retry_backoff: { initial_seconds: 0.2, multiplier: 1, max_seconds: 1 }\n',
);
