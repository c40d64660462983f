import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderMetrics } from './metrics-exposition.js';
import { handleRestRequest } from './rest-api.js';
import type { SimClusterControl } from './sim-cluster-view.js';
import { SimConnectionError } from './sim-errors.js';
import { validateFault, type SimFault } from './sim-faults.js';
import type { SimNode } from './sim-node.js';
import { runSimCommand } from './sim-shell.js';

/** A listener that can be closed (connections refused) and reopened on the same port. */
class Listener {
  readonly server: Server;
  port = 0;
  #open = false;
  #want = false;
  #busy: Promise<void> = Promise.resolve();
  readonly #host: string;

  constructor(host: string, handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.#host = host;
    this.server = createServer(handler);
    this.server.keepAliveTimeout = 5000;
  }

  async first(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.#host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.#open = true;
    this.#want = true;
  }

  /** Opens or closes to match `want`; serialized. */
  set(want: boolean): Promise<void> {
    this.#want = want;
    this.#busy = this.#busy.then(() => this.#reconcile());
    return this.#busy;
  }

  async #reconcile(): Promise<void> {
    while (this.#open !== this.#want) {
      if (this.#want) {
        await new Promise<void>((resolve) => {
          const onErr = () => resolve(); // port taken meanwhile: stay closed, retried on the next change
          this.server.once('error', onErr);
          this.server.listen(this.port, this.#host, () => {
            this.server.off('error', onErr);
            this.#open = true;
            resolve();
          });
        });
        if (!this.#open) return;
      } else {
        await new Promise<void>((resolve) => {
          this.server.close(() => resolve());
          this.server.closeAllConnections();
        });
        this.#open = false;
      }
    }
  }

  async close(): Promise<void> {
    this.#want = false;
    await this.#busy;
    if (this.#open) {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
      this.#open = false;
    }
  }
}

interface NodeServers {
  api: Listener;
  metrics: Listener;
  control: Listener;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 16 * 1024 * 1024) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The HTTP shell around a simulated cluster (`SimCluster`): per node a REST API server, a Prometheus metrics
 * server and a control server (`/_sim/*`), each on its own ephemeral port. Created by
 * `SimCluster.start()`.
 */
export class SimHttpServers {
  readonly #cluster: SimClusterControl;
  readonly #servers = new Map<SimNode, NodeServers>();
  #unsubscribe: (() => void) | undefined;
  #pumpAbort = new AbortController();
  #pumpDone: Promise<void> = Promise.resolve();

  constructor(cluster: SimClusterControl) {
    this.#cluster = cluster;
  }

  async start(): Promise<void> {
    for (const node of this.#cluster.nodes) await this.#serve(node);
    this.#unsubscribe = this.#cluster.onChange(() => this.#reconcile());
    this.#reconcile();
    this.#pumpDone = this.#pump(this.#pumpAbort.signal);
  }

  async #serve(node: SimNode): Promise<void> {
    if (this.#servers.has(node)) return;
    const host = this.#cluster.options.host;
    const s: NodeServers = {
      api: new Listener(host, (req, res) => void this.#api(node, req, res)),
      metrics: new Listener(host, (req, res) => void this.#metrics(node, req, res)),
      control: new Listener(host, (req, res) => void this.#control(node, req, res)),
    };
    this.#servers.set(node, s);
    await s.api.first();
    await s.metrics.first();
    await s.control.first();
  }

  /** Opens the servers of a node added after {@link start} (a bootstrapped or replacing node). Idempotent. */
  async addNode(node: SimNode): Promise<void> {
    await this.#serve(node);
    this.#reconcile();
  }

  /** Applies due simulated state changes continuously, so listeners open and close on time. */
  async #pump(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const next = this.#cluster.scheduler.nextAt();
      const wait = next === undefined ? 100 : Math.min(100, Math.max(1, next - this.#cluster.clock.now()));
      try {
        await this.#cluster.clock.sleep(wait, signal);
      } catch {
        return;
      }
      this.#cluster.sync();
    }
  }

  #reconcile(): void {
    for (const [node, s] of this.#servers) {
      void s.api.set(this.#cluster.apiAccepting(node));
      void s.metrics.set(this.#cluster.metricsAccepting(node));
    }
  }

  ports(node: SimNode): { api: number; metrics: number; control: number } {
    const s = this.#servers.get(node);
    if (!s) throw new Error(`SimCluster: no servers for node ${node.id}`);
    return { api: s.api.port, metrics: s.metrics.port, control: s.control.port };
  }

  async stop(): Promise<void> {
    this.#pumpAbort.abort();
    await this.#pumpDone;
    this.#unsubscribe?.();
    await Promise.all([...this.#servers.values()].flatMap((s) => [s.api.close(), s.metrics.close(), s.control.close()]));
    this.#servers.clear();
  }

  async #api(node: SimNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await readBody(req);
      const r = await handleRestRequest(this.#cluster, node, req.method ?? 'GET', req.url ?? '/', 'rest');
      res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': Buffer.byteLength(r.body) });
      res.end(r.body);
    } catch (e) {
      if (e instanceof SimConnectionError) {
        req.socket.destroy();
        return;
      }
      sendJson(res, 500, { message: `std::runtime_error (${(e as Error).message})`, code: 500 });
    }
  }

  async #metrics(node: SimNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    this.#cluster.sync();
    if (!this.#cluster.metricsAccepting(node)) {
      req.socket.destroy();
      return;
    }
    const name = new URL(req.url ?? '/', 'http://sim').searchParams.get('__name__');
    const body = name === null ? renderMetrics(this.#cluster, node) : filterFamilies(renderMetrics(this.#cluster, node), name);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async #control(node: SimNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cluster = this.#cluster;
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const method = req.method ?? 'GET';
      const raw = await readBody(req);
      const json = (): Record<string, unknown> => {
        if (raw.trim() === '') return {};
        const v = JSON.parse(raw) as unknown;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequest('the request body must be a JSON object');
        return v as Record<string, unknown>;
      };
      const nodeIds = new Set(cluster.nodes.map((n) => n.id));
      const target = (b: Record<string, unknown>): SimNode => {
        const id = b['node'] ?? url.searchParams.get('node') ?? node.id;
        if (typeof id !== 'string' || !nodeIds.has(id)) throw new BadRequest(`unknown node ${JSON.stringify(id)}`);
        return cluster.node(id);
      };
      const p = url.pathname;
      if (p === '/_sim/shell' && method === 'POST') {
        const b = json();
        const argv = b['argv'];
        if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new BadRequest('argv must be an array of strings');
        const stdin =
          typeof b['stdinBase64'] === 'string' ? Buffer.from(b['stdinBase64'], 'base64') : typeof b['stdin'] === 'string' ? b['stdin'] : undefined;
        if (!node.hostUp) {
          sendJson(res, 503, { error: `host ${node.id} is powered off`, code: 'SHELL_UNREACHABLE' });
          return;
        }
        const r = await runSimCommand(cluster, node, argv as string[], stdin === undefined ? undefined : typeof stdin === 'string' ? stdin : new Uint8Array(stdin));
        sendJson(res, 200, r);
        return;
      }
      if (p === '/_sim/oplog' && method === 'GET') {
        cluster.sync();
        const after = url.searchParams.get('after');
        const actions = url.searchParams.get('action');
        sendJson(
          res,
          200,
          cluster.oplog.entries({
            ...(url.searchParams.get('node') ? { node: url.searchParams.get('node')! } : {}),
            ...(after ? { afterSeq: Number(after) } : {}),
            ...(actions ? { actions: actions.split(',') } : {}),
          }),
        );
        return;
      }
      if (p === '/_sim/faults' && method === 'GET') {
        sendJson(res, 200, cluster.faults.list(url.searchParams.get('node') ?? undefined));
        return;
      }
      if (p === '/_sim/faults' && method === 'POST') {
        const b = json();
        if (b['node'] === undefined) b['node'] = node.id;
        const err = validateFault(b, nodeIds);
        if (err) throw new BadRequest(err);
        sendJson(res, 201, { id: cluster.faults.inject(b as unknown as SimFault) });
        return;
      }
      if (p === '/_sim/faults' && method === 'DELETE') {
        sendJson(res, 200, { cleared: cluster.faults.clearAll(url.searchParams.get('node') ?? undefined) });
        return;
      }
      const fm = /^\/_sim\/faults\/([^/]+)$/.exec(p);
      if (fm && method === 'DELETE') {
        const okCleared = cluster.faults.clear(decodeURIComponent(fm[1]!));
        sendJson(res, okCleared ? 200 : 404, { cleared: okCleared ? 1 : 0 });
        return;
      }
      if (p === '/_sim/kill' && method === 'POST') {
        const b = json();
        cluster.kill(target(b), { host: b['host'] === true });
        sendJson(res, 200, { ok: true });
        return;
      }
      if (p === '/_sim/power-on' && method === 'POST') {
        cluster.powerOn(target(json()));
        sendJson(res, 200, { ok: true });
        return;
      }
      if (p === '/_sim/bootstrap' && method === 'POST') {
        const b = json();
        const dc = b['dc'] ?? node.dc;
        const rack = b['rack'] ?? node.rack;
        if (typeof dc !== 'string' || typeof rack !== 'string') throw new BadRequest('dc and rack must be strings');
        const added = await cluster.bootstrapNode({ dc, rack }, 'control');
        sendJson(res, 200, { node: added.id, address: added.address, hostId: added.hostId, ports: cluster.ports(added.id) });
        return;
      }
      if (p === '/_sim/replace' && method === 'POST') {
        const dead = target(json());
        const added = await cluster.replaceNode(dead.id, 'control');
        sendJson(res, 200, { node: added.id, address: added.address, hostId: added.hostId, replaced: dead.id, ports: cluster.ports(added.id) });
        return;
      }
      if (p === '/_sim/state' && method === 'GET') {
        sendJson(res, 200, cluster.summary());
        return;
      }
      if (p === '/_sim/inventory' && method === 'GET') {
        sendJson(res, 200, cluster.inventory());
        return;
      }
      sendJson(res, 404, { error: `no control endpoint ${method} ${p}` });
    } catch (e) {
      if (e instanceof BadRequest || e instanceof SyntaxError) {
        sendJson(res, 400, { error: e.message });
        return;
      }
      sendJson(res, 500, { error: (e as Error).message, code: (e as { code?: string }).code });
    }
  }
}

class BadRequest extends Error {}

/** Keeps the metric families matching seastar's `__name__` filter (a trailing `*` is a prefix match). */
function filterFamilies(text: string, name: string): string {
  const match = (n: string) => (name.endsWith('*') ? n.startsWith(name.slice(0, -1)) : n === name);
  return text
    .split('\n')
    .filter((line) => {
      if (line === '') return false;
      const n = line.startsWith('# ') ? (line.split(' ')[2] ?? '') : (/^[^{ ]+/.exec(line)?.[0] ?? '').replace(/_(sum|count)$/, '');
      return match(n);
    })
    .map((l) => `${l}\n`)
    .join('');
}
