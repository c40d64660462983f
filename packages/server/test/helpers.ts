import { corePlugin, PluginRegistry } from '@scylla-cp/core';
import { hashToken, type TokenEntry } from '../src/token-auth.js';

/** Tokens of the tests: one operator, one viewer. */
export const OPERATOR_TOKEN = 'scp_test-operator-token-0123456789';
export const VIEWER_TOKEN = 'scp_test-viewer-token-0123456789';
export const TEST_TOKENS: TokenEntry[] = [
  { name: 'alice', role: 'operator', sha256: hashToken(OPERATOR_TOKEN) },
  { name: 'victor', role: 'viewer', sha256: hashToken(VIEWER_TOKEN) },
];

/** A registry with core's plugin only (`!node-workflow`, `!sleep`, ...). */
export function coreRegistry(): PluginRegistry {
  const r = new PluginRegistry();
  r.register(corePlugin);
  return r;
}

/** An inventory of `n` nodes in one rack, named `cluster`. */
export function inventoryYaml(cluster: string, n: number): string {
  const nodes = Array.from({ length: n }, (_, i) => `  - id: n${i + 1}\n    address: 10.0.0.${i + 1}\n    dc: dc1\n    rack: r1\n`).join('');
  return `name: ${cluster}\nnodes:\n${nodes}`;
}

/** A workflow that sleeps `seconds` on each node, one node at a time. */
export function sleepWorkflow(seconds: number): string {
  return [
    'name: sleep on each node',
    'cluster_tasks:',
    '  - task: !node-workflow',
    '      name: sleep',
    '      concurrency_unit: node',
    '      node_tasks:',
    '        - task: !sleep',
    `            seconds: ${seconds}`,
    '',
  ].join('\n');
}

/** Reads an SSE body to its end; returns the messages (event, id, parsed data). */
export async function readSse(res: Response): Promise<{ event: string; id?: string; data: any }[]> {
  const text = await res.text();
  const out: { event: string; id?: string; data: any }[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '' || block.startsWith(':')) continue;
    let event = 'message';
    let id: string | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    out.push({ event, id, data: data ? JSON.parse(data) : undefined });
  }
  return out;
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
