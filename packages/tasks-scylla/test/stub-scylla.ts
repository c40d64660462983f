import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ServiceRegistry,
  silentLogger,
  type Clock,
  type ClusterInventory,
  type InventoryNode,
  type NodeExecutionContext,
  type ServiceProvider,
} from '@scylla-cp/core';
import { ScyllaApiProviders } from '../src/index.js';

/** A reply of the stub: status (default 200) and raw body (default empty). */
export interface StubReply {
  status?: number;
  body?: string;
  /** Milliseconds to wait before replying. */
  delayMs?: number;
}

/** A recorded request. */
export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

type Handler = (req: StubRequest) => StubReply | Promise<StubReply>;

/** JSON body helper. */
export const json = (v: unknown, status = 200): StubReply => ({ status, body: JSON.stringify(v) });
/** Scylla error body helper. */
export const scyllaError = (status: number, message: string): StubReply => json({ message, code: status }, status);

/**
 * A tiny HTTP server on 127.0.0.1 answering like a Scylla REST API from a table of handlers
 * keyed `METHOD /path` (trailing slash ignored); anything else gets Scylla's 404 body.
 */
export class StubScylla {
  readonly requests: StubRequest[] = [];
  readonly #handlers = new Map<string, Handler>();
  #server: Server | undefined;
  port = 0;

  static async start(): Promise<StubScylla> {
    const s = new StubScylla();
    s.#server = createServer((req, res) => void s.#handle(req, res));
    await new Promise<void>((resolve) => s.#server!.listen(0, '127.0.0.1', resolve));
    s.port = (s.#server!.address() as AddressInfo).port;
    return s;
  }

  on(key: string, handler: Handler | StubReply): this {
    const [method, path] = key.split(' ');
    this.#handlers.set(`${method} ${norm(path!)}`, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  count(key: string): number {
    const [method, path] = key.split(' ');
    return this.requests.filter((r) => r.method === method && norm(r.path) === norm(path!)).length;
  }

  async #handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const r: StubRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams };
    this.requests.push(r);
    const h = this.#handlers.get(`${r.method} ${norm(r.path)}`);
    const reply = h ? await h(r) : scyllaError(404, 'Not found');
    if (reply.delayMs) await new Promise((x) => setTimeout(x, reply.delayMs));
    if (res.destroyed) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
    res.end(reply.body ?? '');
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

function norm(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** A clock whose sleeps return at once (after a macrotask), advancing its time. */
export class FastClock implements Clock {
  t = 1767225600000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(delayMs);
    this.t += delayMs;
    await new Promise((r) => setImmediate(r));
  }
}

/** An inventory node on 127.0.0.1 whose REST API is the stub at `port`. */
export function stubNode(id: string, port: number, address = '127.0.0.1', extra: Partial<InventoryNode> = {}): InventoryNode {
  return { id, address, dc: 'dc1', rack: 'r1', zone: 'z1', labels: {}, connection: { scylla_api: { port } }, ...extra };
}

/** A node execution context for `node` in `inventory`, with the plugin's REST providers and optional extra providers. */
export function nodeContext(
  inventory: ClusterInventory,
  node: InventoryNode,
  opts: { clock?: Clock; providers?: ServiceProvider<unknown>[]; jobId?: string } = {},
): { ctx: NodeExecutionContext; dispose: () => Promise<void> } {
  const registry = new ServiceRegistry();
  const api = new ScyllaApiProviders();
  registry.provide(api.nodeProvider()).provide(api.clientsProvider());
  for (const p of opts.providers ?? []) registry.provide(p);
  const job = { id: opts.jobId ?? 'job-1', operator: 'tester', variables: {}, workflowName: 'test' };
  const clock = opts.clock ?? new FastClock();
  const signal = new AbortController().signal;
  const services = registry.bind({ inventory, node, job, clock, signal });
  const ctx: NodeExecutionContext = { inventory, job, logger: silentLogger, clock, signal, services, attempt: 1, stepId: 's1', node };
  return { ctx, dispose: () => api.dispose() };
}
