import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The Prometheus binary: `$PROMETHEUS_BIN` or Debian's `/usr/bin/prometheus`. */
export function prometheusBinary(): string {
  const bin = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
  if (!fs.existsSync(bin)) {
    throw new Error(`Prometheus not found at ${bin}: this test scrapes /metrics with a real Prometheus; install it (apt-get install prometheus) or set PROMETHEUS_BIN`);
  }
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

/** A Prometheus scraping one target every second, on 127.0.0.1, in a temporary directory. */
export interface TestPrometheus {
  url: string;
  /** Runs an instant PromQL query; returns the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  close(): Promise<void>;
}

/** Starts Prometheus scraping `target` (`host:port`, path `/metrics`) every second and waits until ready. */
export async function startTestPrometheus(target: string): Promise<TestPrometheus> {
  const bin = prometheusBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-server-prom-'));
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: scylla-cp-server', '    static_configs:', `      - targets: ["${target}"]`, ''].join('\n'),
  );
  const port = await freePort();
  let log = '';
  const child: ChildProcess = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-10_000)));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited (${child.exitCode}) before it was ready:\n${log}`);
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (performance.now() > deadline) {
      await close();
      throw new Error(`Prometheus not ready after 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
      if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error}`);
      return body.data.result;
    },
    close,
  };
}
