import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A real Prometheus server started for a test, listening on 127.0.0.1. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM, SIGKILL after 5 s); the data directory is kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory, waits until ready. */
  start(): Promise<void>;
  /** Rewrites the scrape targets and reloads the configuration. */
  setTargets(targets: readonly string[]): Promise<void>;
  /** Stops it and deletes the data directory. */
  close(): Promise<void>;
  /** What the process printed on stderr (for failure messages). */
  logs(): string;
}

/** Where the binary is: `$PROMETHEUS_BIN`, `prometheus` on `$PATH`, or `/usr/bin/prometheus`. */
export function findPrometheusBinary(): string {
  const candidates = [
    process.env.PROMETHEUS_BIN,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'prometheus')),
    '/usr/bin/prometheus',
  ].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next
    }
  }
  throw new Error(
    'The Prometheus server binary was not found (looked at $PROMETHEUS_BIN, "prometheus" on $PATH and /usr/bin/prometheus). ' +
      'These tests need a real Prometheus: install it with `apt-get install prometheus` (.ci/run does) or set PROMETHEUS_BIN.',
  );
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function configYaml(targets: readonly string[], scrapeIntervalSeconds: number, extra: { ruleFile?: string; alertmanager?: string } = {}): string {
  return [
    'global:',
    `  scrape_interval: ${scrapeIntervalSeconds}s`,
    `  scrape_timeout: ${scrapeIntervalSeconds}s`,
    `  evaluation_interval: ${scrapeIntervalSeconds}s`,
    ...(extra.ruleFile ? ['rule_files:', `  - ${JSON.stringify(extra.ruleFile)}`] : []),
    ...(extra.alertmanager
      ? ['alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: [${JSON.stringify(extra.alertmanager.replace(/^https?:\/\//, ''))}]`]
      : []),
    'scrape_configs:',
    '  - job_name: scylla',
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** `host:port` targets whose `/metrics` are scraped. */
  targets: readonly string[];
  /** @default 1 */
  scrapeIntervalSeconds?: number;
  /** Alerting and recording rules (the YAML of a rule file), evaluated every scrape interval. @default none */
  rules?: string;
  /** `http://host:port` of an Alertmanager that firing alerts are sent to. @default none */
  alertmanagerUrl?: string;
}

/**
 * Starts the system's Prometheus on a free 127.0.0.1 port with a temporary
 * TSDB directory and a generated config scraping `targets` every second, and
 * waits for `/-/ready`. Throws (never skips) when the binary is missing or
 * the server does not become ready.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const bin = findPrometheusBinary();
  const interval = options.scrapeIntervalSeconds ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'scylla-cp-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  const extra: { ruleFile?: string; alertmanager?: string } = {};
  if (options.rules !== undefined) {
    extra.ruleFile = join(dir, 'rules.yml');
    writeFileSync(extra.ruleFile, options.rules);
  }
  if (options.alertmanagerUrl !== undefined) extra.alertmanager = options.alertmanagerUrl;
  writeFileSync(configFile, configYaml(options.targets, interval, extra));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

  const start = async (): Promise<void> => {
    if (child && !exited(child)) return;
    const c = spawn(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = c;
    c.stderr?.setEncoding('utf8');
    c.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited(c)) throw new Error(`Prometheus (${bin}) exited with ${c.exitCode ?? c.signalCode} before it was ready:\n${stderr}`);
      try {
        const res = await fetch(`${url}/-/ready`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`Prometheus (${bin}) did not become ready on ${url} within 60 s:\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || exited(c)) return;
    const done = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const killer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(killer);
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    async setTargets(targets) {
      writeFileSync(configFile, configYaml(targets, interval, extra));
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`Prometheus reload failed: HTTP ${res.status} ${await res.text()}`);
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    logs: () => stderr,
  };
}
