// Benchmark: the raft-kv example (3 members, durable SQLite, TCP) vs etcd (3 members,
// default durability) on 127.0.0.1, driven by the same HTTP load generator: 64 concurrent
// clients, 256-byte values, fixed duration. Last line: JSON
// {bench, ours_ops_s, etcd_ops_s, throughput_ratio, ours_p99_ms, etcd_p99_ms, pinned}.
// When the machine has at least 3 cores and `taskset`, a second run pins each member of
// each system to its own core (member i on core i) and `pinned` holds its figures; else
// `pinned` is null and the reason is printed.
// Env: BENCH_DURATION_S (default 10), BENCH_CLIENTS (64), BENCH_VALUE_BYTES (256).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 64);
const VALUE_BYTES = Number(process.env['BENCH_VALUE_BYTES'] ?? 256);
const WARMUP_S = 1;

const procs: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'bench-raft-etcd-'));
const cleanup = (): void => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface LoadResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  latencies: number[];
  seconds: number;
}

/** Combines alternating rounds of one system. */
function combine(rounds: LoadResult[]): LoadResult {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
  return { opsPerSec: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99), errors: rounds.reduce((a, r) => a + r.errors, 0), latencies, seconds };
}

/** The shared load generator: CLIENTS closed-loop clients issuing `request(i)` for DURATION_S. */
async function runLoad(request: (seq: number) => Promise<boolean>, durationS: number): Promise<LoadResult> {
  let seq = 0;
  let stop = false;
  let measuring = false;
  const lat: number[] = [];
  let errors = 0;
  let done = 0;
  const client = async (): Promise<void> => {
    while (!stop) {
      const t0 = performance.now();
      const ok = await request(seq++).catch(() => false);
      const dt = performance.now() - t0;
      if (!measuring) continue;
      if (ok) {
        done++;
        lat.push(dt);
      } else errors++;
    }
  };
  const clients = Array.from({ length: CLIENTS }, client);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(clients);
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? Number.NaN;
  return { opsPerSec: done / elapsed, p50Ms: pct(0.5), p99Ms: pct(0.99), errors, latencies: lat, seconds: elapsed };
}

const value = 'v'.repeat(VALUE_BYTES);

/** One HTTP request over a shared keep-alive agent (the same client code for both systems). */
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
function httpCall(port: number, method: string, path: string, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const r = http.request({ agent, host: '127.0.0.1', port, method, path, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    r.on('error', () => resolve(false));
    r.end(body);
  });
}

async function startOurs(pin?: readonly number[]): Promise<(seq: number) => Promise<boolean>> {
  const main = fileURLToPath(new URL('../examples/raft-kv/src/main.ts', import.meta.url));
  const ids = ['n1', 'n2', 'n3'];
  const httpPorts = new Map<string, number>();
  const parts: string[] = [];
  for (const id of ids) {
    const rp = await freePort();
    const hp = await freePort();
    httpPorts.set(id, hp);
    parts.push(`${id}=127.0.0.1:${rp}:${hp}`);
  }
  const data = join(dir, pin ? 'raft-kv-pinned' : 'raft-kv');
  const started: ChildProcess[] = [];
  for (const id of ids) {
    const p = spawnPinned(pin?.[ids.indexOf(id)], process.execPath, ['--import', 'tsx', main, '--id', id, '--members', parts.join(','), '--data', data]);
    started.push(p);
  }
  const leader = await waitFor(async () => {
    for (const id of ids) {
      const r = await fetch(`http://127.0.0.1:${httpPorts.get(id)}/status`);
      const s = (await r.json()) as { role: string };
      if (s.role === 'leader') return id;
    }
    return undefined;
  }, 'a raft-kv leader');
  const port = httpPorts.get(leader) as number;
  void started;
  return (i) => httpCall(port, 'PUT', `/kv/key${i % 1000}`, value);
}

async function startEtcd(pin?: readonly number[]): Promise<(seq: number) => Promise<boolean>> {
  let etcdBin: string;
  try {
    etcdBin = execFileSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('bench raft-vs-etcd: `etcd` is not installed (apt-get install etcd-server); refusing to report a result without it');
  }
  if (!etcdBin) throw new Error('bench raft-vs-etcd: `etcd` not found on PATH (apt-get install etcd-server)');
  const names = ['e1', 'e2', 'e3'];
  const clientPorts = new Map<string, number>();
  const peerPorts = new Map<string, number>();
  for (const n of names) {
    clientPorts.set(n, await freePort());
    peerPorts.set(n, await freePort());
  }
  const initialCluster = names.map((n) => `${n}=http://127.0.0.1:${peerPorts.get(n)}`).join(',');
  const started: ChildProcess[] = [];
  for (const n of names) {
    const p = spawnPinned(
      pin?.[names.indexOf(n)],
      etcdBin,
      [
        '--name', n,
        '--data-dir', join(dir, `etcd-${n}${pin ? '-pinned' : ''}`),
        '--listen-client-urls', `http://127.0.0.1:${clientPorts.get(n)}`,
        '--advertise-client-urls', `http://127.0.0.1:${clientPorts.get(n)}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPorts.get(n)}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPorts.get(n)}`,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', 'bench',
        '--log-level', 'error',
      ],
    );
    started.push(p);
  }
  const leader = await waitFor(async () => {
    for (const n of names) {
      const r = await fetch(`http://127.0.0.1:${clientPorts.get(n)}/v3/maintenance/status`, { method: 'POST', body: '{}' });
      const s = (await r.json()) as { leader?: string; header?: { member_id?: string } };
      if (s.leader && s.header?.member_id === s.leader) return n;
    }
    return undefined;
  }, 'an etcd leader');
  const port = clientPorts.get(leader) as number;
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const v64 = b64(value);
  void started;
  return (i) => httpCall(port, 'POST', '/v3/kv/put', `{"key":"${b64(`key${i % 1000}`)}","value":"${v64}"}`);
}

/** Spawns `cmd` (on core `core` through taskset when given); remembers it for cleanup. */
function spawnPinned(core: number | undefined, cmd: string, args: string[]): ChildProcess {
  const p = core === undefined ? spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] }) : spawn('taskset', ['-c', String(core), cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(p);
  return p;
}

interface PairResult {
  readonly ours: LoadResult;
  readonly etcd: LoadResult;
}

/** Starts both systems (pinned when `pin` is given), loads them in alternating rounds, stops them. */
async function runPair(pin?: readonly number[]): Promise<PairResult> {
  const first = procs.length;
  const etcdRequest = await startEtcd(pin);
  const oursRequest = await startOurs(pin);
  // Alternate rounds so that load from other processes on the machine hits both alike.
  const ROUNDS = 2;
  const e: LoadResult[] = [];
  const o: LoadResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    e.push(await runLoad(etcdRequest, DURATION_S / ROUNDS));
    o.push(await runLoad(oursRequest, DURATION_S / ROUNDS));
  }
  for (const p of procs.slice(first)) p.kill('SIGKILL');
  const label = pin ? `pinned to cores ${pin.join(',')}` : 'unpinned';
  const etcd = combine(e);
  const ours = combine(o);
  console.log(`etcd (${label}):    ${etcd.opsPerSec.toFixed(0)} ops/s, p50 ${etcd.p50Ms.toFixed(2)} ms, p99 ${etcd.p99Ms.toFixed(2)} ms, errors ${etcd.errors}`);
  console.log(`raft-kv (${label}): ${ours.opsPerSec.toFixed(0)} ops/s, p50 ${ours.p50Ms.toFixed(2)} ms, p99 ${ours.p99Ms.toFixed(2)} ms, errors ${ours.errors}`);
  return { ours, etcd };
}

function tasksetAvailable(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  console.log(`raft-vs-etcd: ${CLIENTS} clients, ${VALUE_BYTES}-byte values, ${DURATION_S} s per system (after ${WARMUP_S} s warm-up)`);
  const round = (x: number, d = 2): number => Number(x.toFixed(d));
  const figures = (r: PairResult) => ({
    ours_ops_s: round(r.ours.opsPerSec, 0),
    etcd_ops_s: round(r.etcd.opsPerSec, 0),
    throughput_ratio: round(r.ours.opsPerSec / r.etcd.opsPerSec, 3),
    ours_p99_ms: round(r.ours.p99Ms),
    etcd_p99_ms: round(r.etcd.p99Ms),
  });
  const free = await runPair();
  const cores = cpus().length;
  let pinned: PairResult | null = null;
  if (cores < 3) console.log(`pinned run skipped: 3 members on separate cores need 3 cores, this machine has ${cores}`);
  else if (!tasksetAvailable()) console.log('pinned run skipped: `taskset` is not installed (util-linux)');
  else pinned = await runPair([0, 1, 2]);
  console.log(JSON.stringify({ bench: 'raft-vs-etcd', ...figures(free), pinned: pinned ? figures(pinned) : null, cores }));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
