import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Spawns one raft-kv member process. */
export function spawnMember(id: string, members: string, dataDir: string, tickMs = 50, extraArgs: readonly string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--id', id, '--members', members, '--data', dataDir, '--tick-ms', String(tickMs), ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${id}] ${d.toString()}`));
  return child;
}

/** Minimal HTTP JSON call with a keep-alive agent. */
export async function call(port: number, method: string, path: string, body?: string, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls `fn` until it returns a non-undefined value. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
