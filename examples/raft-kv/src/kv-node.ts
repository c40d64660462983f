import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { NotLeaderError, RaftError, RaftServer, SqliteStorage, TcpTransport } from '../../../packages/raft/src/index.js';
import { encodeCommand, KvStateMachine, type KvCommand, type KvResult } from './kv-state-machine.js';

/** Address book entry of one member. */
export interface KvMember {
  readonly host: string;
  readonly raftPort: number;
  readonly httpPort: number;
}

/** Options of {@link startKvNode}. */
export interface KvNodeOptions {
  readonly id: string;
  readonly members: Readonly<Record<string, KvMember>>;
  readonly dataDir: string;
  /** @default 50 */
  readonly tickIntervalMs?: number;
}

/** A running key-value member. */
export interface KvNode {
  readonly raft: RaftServer<KvResult>;
  readonly http: http.Server;
  stop(): Promise<void>;
}

/**
 * Starts one member: SQLite storage in `dataDir/<id>.db`, Raft over TCP, and an HTTP API:
 * - `PUT /kv/<key>` (body = value) → `{ ok, previous, index }`
 * - `POST /cas/<key>` (body JSON `{ expected, value }`) → `{ ok, previous, index }`
 * - `GET /kv/<key>` → `{ value }` after a linearizable read barrier
 * - `GET /status` → the Raft status
 * A follower proxies writes to the leader; 503 with `{ error, leader }` when none is known.
 */
export async function startKvNode(o: KvNodeOptions): Promise<KvNode> {
  const me = o.members[o.id];
  if (!me) throw new Error(`startKvNode: ${o.id} is not in the member list`);
  mkdirSync(o.dataDir, { recursive: true });
  const peers = Object.fromEntries(Object.entries(o.members).map(([id, m]) => [id, { host: m.host, port: m.raftPort }]));
  const transport = await TcpTransport.create({ id: o.id, listen: { host: me.host, port: me.raftPort }, peers });
  const sm = new KvStateMachine();
  const raft = new RaftServer<KvResult>({
    id: o.id,
    storage: new SqliteStorage(join(o.dataDir, `${o.id}.db`)),
    transport,
    stateMachine: sm,
    bootstrap: { voters: Object.keys(o.members) },
    tickIntervalMs: o.tickIntervalMs ?? 50,
    snapshotThresholdEntries: 50_000,
    snapshotTrailingEntries: 5_000,
  });
  raft.start();

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const s = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
    res.end(s);
  };
  const fail = (res: http.ServerResponse, e: unknown): void => {
    if (e instanceof NotLeaderError) return send(res, 503, { error: e.message, leader: e.leader });
    if (e instanceof RaftError) return send(res, e.retryable ? 503 : 500, { error: e.message, kind: e.name });
    send(res, 500, { error: String(e) });
  };
  const proxy = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, leader: string): void => {
    const m = o.members[leader] as KvMember;
    const p = http.request({ host: m.host, port: m.httpPort, method: req.method, path: req.url, headers: { 'content-type': 'text/plain', 'x-forwarded': '1' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    p.on('error', (e) => send(res, 503, { error: `proxy to leader ${leader} failed: ${e.message}`, leader }));
    p.end(body);
  };
  const propose = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, cmd: KvCommand): void => {
    if (!raft.isLeader()) {
      const leader = raft.status().leader;
      if (leader && leader !== o.id && req.headers['x-forwarded'] === undefined) return proxy(req, res, body, leader);
      return fail(res, new NotLeaderError(leader, `member ${o.id}`));
    }
    raft.propose(encodeCommand(cmd)).then((r) => send(res, 200, r), (e) => fail(res, e));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const kv = /^\/kv\/(.+)$/.exec(url.pathname);
      const cas = /^\/cas\/(.+)$/.exec(url.pathname);
      try {
        if (req.method === 'PUT' && kv) return propose(req, res, body, { op: 'put', key: decodeURIComponent(kv[1] as string), value: body.toString() });
        if (req.method === 'POST' && cas) {
          const b = JSON.parse(body.toString()) as { expected: string | null; value: string };
          return propose(req, res, body, { op: 'cas', key: decodeURIComponent(cas[1] as string), expected: b.expected ?? null, value: b.value });
        }
        if (req.method === 'GET' && kv) {
          const key = decodeURIComponent(kv[1] as string);
          raft.readBarrier().then((index) => send(res, 200, { value: sm.get(key), index }), (e) => fail(res, e));
          return;
        }
        if (req.method === 'GET' && url.pathname === '/status') return send(res, 200, raft.status());
        send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      } catch (e) {
        send(res, 400, { error: String(e) });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(me.httpPort, me.host, resolve));
  return {
    raft,
    http: server,
    stop: async () => {
      raft.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Parses `n1=127.0.0.1:7001:8001,n2=...` (id=host:raftPort:httpPort). */
export function parseMembers(spec: string): Record<string, KvMember> {
  const out: Record<string, KvMember> = {};
  for (const part of spec.split(',')) {
    const [id, addr] = part.split('=');
    const [host, raftPort, httpPort] = (addr ?? '').split(':');
    if (!id || !host || !raftPort || !httpPort) throw new Error(`bad member "${part}": expected id=host:raftPort:httpPort`);
    out[id] = { host, raftPort: Number(raftPort), httpPort: Number(httpPort) };
  }
  return out;
}
