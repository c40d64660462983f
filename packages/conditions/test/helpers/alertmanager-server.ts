import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './prometheus-server.js';

/** A real Alertmanager started for a test, listening on 127.0.0.1. */
export interface AlertmanagerServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Creates a silence (API v2) for `matchers` lasting an hour; returns its id. */
  silence(matchers: { name: string; value: string; isRegex?: boolean }[]): Promise<string>;
  /** Expires a silence. */
  expire(id: string): Promise<void>;
  /** Stops the process (SIGTERM, SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Stops it and deletes its directory. */
  close(): Promise<void>;
  logs(): string;
}

/** Where the binary is: `$ALERTMANAGER_BIN`, `prometheus-alertmanager` or `alertmanager` on `$PATH`, or `/usr/bin/prometheus-alertmanager`. */
export function findAlertmanagerBinary(): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = [
    process.env.ALERTMANAGER_BIN,
    ...dirs.flatMap((d) => [join(d, 'prometheus-alertmanager'), join(d, 'alertmanager')]),
    '/usr/bin/prometheus-alertmanager',
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
    'The Alertmanager binary was not found (looked at $ALERTMANAGER_BIN, prometheus-alertmanager / alertmanager on $PATH and /usr/bin/prometheus-alertmanager). ' +
      'These tests need a real Alertmanager: install it with `apt-get install prometheus-alertmanager` or set ALERTMANAGER_BIN.',
  );
}

/**
 * Starts the system's Alertmanager on a free 127.0.0.1 port with clustering
 * off, a temporary storage directory and `configYaml`, and waits for
 * `/-/ready`. Throws (never skips) when the binary is missing or it does not
 * become ready.
 */
export async function startAlertmanager(configYaml: string): Promise<AlertmanagerServer> {
  const bin = findAlertmanagerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'scylla-cp-am-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited()) throw new Error(`Alertmanager (${bin}) exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${stderr}`);
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Alertmanager (${bin}) did not become ready on ${url} within 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (exited()) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(killer);
  };
  return {
    url,
    async silence(matchers) {
      const now = new Date();
      const res = await fetch(`${url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex ?? false, isEqual: true })),
          startsAt: now.toISOString(),
          endsAt: new Date(now.getTime() + 3_600_000).toISOString(),
          createdBy: 'scylla-cp test',
          comment: 'test silence',
        }),
      });
      if (res.status !== 200) throw new Error(`creating a silence failed: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { silenceID: string }).silenceID;
    },
    async expire(id) {
      const res = await fetch(`${url}/api/v2/silence/${id}`, { method: 'DELETE' });
      if (res.status !== 200) throw new Error(`expiring silence ${id} failed: HTTP ${res.status} ${await res.text()}`);
    },
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    logs: () => stderr,
  };
}
