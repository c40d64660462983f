import { connectionSettings, InvalidInputError, RecoverableError, type ClusterInventory, type InventoryNode } from '@scylla-cp/core';
import type { NodeShell, ShellResult, ShellRunOptions } from '@scylla-cp/tasks-scylla';
import { onAbort } from './util.js';

/** Options of a {@link SimHttpShell}. */
export interface SimHttpShellOptions {
  /** Base URL of the node's simulator control server, e.g. `http://127.0.0.1:41234` (inventory `connection.shell.url`). */
  url: string;
  /** Node id, for error messages. @default the url */
  nodeId?: string;
}

/**
 * A {@link NodeShell} that runs commands on a simulated node served by another process (the CLI's
 * `sim start`), through the node's control endpoint `POST /_sim/shell {argv, stdinBase64}` →
 * `{exitCode, stdout, stderr, truncated}`. Connection failures and a powered-off host throw
 * `RecoverableError` (code `SHELL_UNREACHABLE`); a timeout throws `RecoverableError` (code
 * `SHELL_TIMEOUT`). Timeouts use real time (this client runs outside the simulation).
 */
export class SimHttpShell implements NodeShell {
  readonly #url: string;
  readonly #nodeId: string;

  constructor(options: SimHttpShellOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#nodeId = options.nodeId ?? options.url;
  }

  async run(argv: readonly string[], options: ShellRunOptions = {}): Promise<ShellResult> {
    const timeoutS = options.timeoutSeconds ?? 300;
    const maxBytes = options.maxOutputBytes ?? 1_048_576;
    // one shared listener on the caller's signal (see onAbort), and a real-time timer of our own
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error('timeout'));
    }, timeoutS * 1000);
    const off = options.signal ? onAbort(options.signal, (reason) => ac.abort(reason)) : () => {};
    if (options.signal?.aborted) ac.abort(options.signal.reason);
    const stdin = options.stdin;
    const body = JSON.stringify({
      argv,
      ...(stdin === undefined ? {} : { stdinBase64: Buffer.from(typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin).toString('base64') }),
    });
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.#url}/_sim/shell`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ac.signal });
      text = await res.text();
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason ?? e;
      if (timedOut) {
        throw new RecoverableError(`command ${JSON.stringify(argv.join(' '))} on ${this.#nodeId} timed out after ${timeoutS}s`, {
          code: 'SHELL_TIMEOUT',
          cause: e,
          details: { node: this.#nodeId },
        });
      }
      throw new RecoverableError(`cannot reach the simulated shell of ${this.#nodeId} at ${this.#url}: ${(e as Error).message}`, {
        code: 'SHELL_UNREACHABLE',
        cause: e,
        details: { node: this.#nodeId, url: this.#url },
      });
    } finally {
      clearTimeout(timer);
      off();
    }
    if (res.status === 503 || res.status >= 500) {
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* raw text */
      }
      throw new RecoverableError(`simulated shell of ${this.#nodeId}: ${msg}`, { code: 'SHELL_UNREACHABLE', details: { node: this.#nodeId, status: res.status } });
    }
    if (res.status !== 200) {
      throw new InvalidInputError(`simulated shell of ${this.#nodeId} rejected the command (${res.status}): ${text}`, { code: 'SIM_SHELL_REJECTED' });
    }
    const r = JSON.parse(text) as ShellResult;
    const cut = (s: string) => (Buffer.byteLength(s) > maxBytes ? Buffer.from(s).subarray(0, maxBytes).toString('utf8') : s);
    const truncated = r.truncated || Buffer.byteLength(r.stdout) > maxBytes || Buffer.byteLength(r.stderr) > maxBytes;
    return { exitCode: r.exitCode, stdout: cut(r.stdout), stderr: cut(r.stderr), truncated };
  }
}

/**
 * The simulator shell a node's inventory entry asks for: `connection.shell: { kind: 'sim', url }`
 * gives a {@link SimHttpShell}; anything else gives `undefined` (the caller falls back to its own
 * shells).
 */
export function simHttpShellFor(inventory: ClusterInventory, node: InventoryNode): SimHttpShell | undefined {
  const s = connectionSettings(inventory, node, 'shell');
  if (s['kind'] !== 'sim') return undefined;
  if (typeof s['url'] !== 'string' || s['url'] === '') {
    throw new InvalidInputError(`node ${node.id}: connection.shell.kind is 'sim' but connection.shell.url is missing; write the inventory with SimCluster.writeInventory()`, {
      code: 'INVALID_INVENTORY',
    });
  }
  return new SimHttpShell({ url: s['url'], nodeId: node.id });
}
