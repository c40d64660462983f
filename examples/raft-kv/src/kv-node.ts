import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import {
  CommitStatusUnknownError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
  RaftServer,
  SqliteStorage,
  StoppedError,
  TcpTransport,
} from '../../../packages/raft/src/index.js';
import { encodeCommand, KvStateMachine, type KvCommand, type KvRequestId, type KvResult } from './kv-state-machine.js';

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
  /** Take a snapshot and compact the log every this many applied entries; 0 disables. @default 50000 */
  readonly snapshotThresholdEntries?: number;
  /** Entries kept below a snapshot for lagging followers. @default a tenth of the threshold */
  readonly snapshotTrailingEntries?: number;
  /** Time a request may take when the client sends no `x-timeout-ms`. @default 5000 */
  readonly defaultTimeoutMs?: number;
  /**
   * After a request through the leader (a forwarded write, a read barrier) failed or timed
   * out on this follower, answer `LeaderUnreachable` at once, except for one trial request
   * at a time, this often. @default 100
   */
  readonly unreachableRetryMs?: number;
}

/** A running key-value member. */
export interface KvNode {
  readonly raft: RaftServer<KvResult>;
  readonly http: http.Server;
  stop(): Promise<void>;
}

/** Why a request was definitely not applied (safe to retry anywhere, with or without the same id). */
export type KvNotAppliedReason = 'NotLeader' | 'ProposalDropped' | 'LeaderUnreachable' | 'Stopped';
/** Why the outcome of a write is unknown (retry with the same request id: it is applied at most once). */
export type KvUnknownReason = 'CommitStatusUnknown' | 'Timeout' | 'ForwardFailed';

/** Parses `x-request-id: <client>:<seq>`; undefined when absent. */
export function parseRequestId(header: string | string[] | undefined): KvRequestId | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const i = header.lastIndexOf(':');
  const seq = Number(header.slice(i + 1));
  if (i <= 0 || !Number.isSafeInteger(seq) || seq < 0) {
    throw new Error(`x-request-id "${header}": expected <client>:<seq> with seq a non-negative integer, e.g. c1:42`);
  }
  return { client: header.slice(0, i), seq };
}

/**
 * Starts one member: SQLite storage in `dataDir/<id>.db`, Raft over TCP, and an HTTP API:
 * - `PUT /kv/<key>` (body = value) → 200 `{ ok, previous, index, duplicate? }`
 * - `POST /cas/<key>` (body JSON `{ expected, value }`) → the same
 * - `GET /kv/<key>` → 200 `{ value, index }` after a linearizable read barrier
 * - `GET /status` → the Raft status
 *
 * Headers: `x-request-id: <client>:<seq>` makes a write exactly-once (retries with the same id
 * return the first result, `duplicate: true`); `x-timeout-ms` bounds the request, forwarding
 * included (default `defaultTimeoutMs`). A follower forwards writes to the leader.
 * Failures: 503 `{ outcome: 'not_applied', reason, leader }` (nothing happened: retry
 * anywhere, preferably `leader`); 504 `{ outcome: 'unknown', reason }` (a write may or may
 * not have been applied: retry with the same request id). Reads fail only with 503.
 */
export async function startKvNode(o: KvNodeOptions): Promise<KvNode> {
  const me = o.members[o.id];
  if (!me) throw new Error(`startKvNode: ${o.id} is not in the member list`);
  mkdirSync(o.dataDir, { recursive: true });
  const peers = Object.fromEntries(Object.entries(o.members).map(([id, m]) => [id, { host: m.host, port: m.raftPort }]));
  const transport = await TcpTransport.create({ id: o.id, listen: { host: me.host, port: me.raftPort }, peers, minBackoffMs: 20, maxBackoffMs: 100 });
  const sm = new KvStateMachine();
  const threshold = o.snapshotThresholdEntries ?? 50_000;
  const raft = new RaftServer<KvResult>({
    id: o.id,
    storage: new SqliteStorage(join(o.dataDir, `${o.id}.db`)),
    transport,
    stateMachine: sm,
    bootstrap: { voters: Object.keys(o.members) },
    tickIntervalMs: o.tickIntervalMs ?? 50,
    snapshotThresholdEntries: threshold,
    snapshotTrailingEntries: o.snapshotTrailingEntries ?? Math.floor(threshold / 10),
  });
  raft.start();
  const defaultTimeoutMs = o.defaultTimeoutMs ?? 5000;
  const circuit = new LeaderCircuit(o.unreachableRetryMs ?? 100);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // Forwards in flight, by the leader they went to. When this member stops seeing that
  // member as leader (it was deposed, or it went silent and this member started an
  // election), their callers are answered at once instead of at their timeout.
  const forwards = new Set<{ leader: string; abandon: (why: string) => void }>();
  raft.on('leaderChange', ({ leader }) => {
    for (const f of forwards) if (f.leader !== leader) f.abandon(`member ${o.id} no longer sees ${f.leader} as leader (now ${leader ?? 'none'})`);
  });

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    if (res.headersSent || res.destroyed) return;
    const s = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
    res.end(s);
  };
  const notApplied = (res: http.ServerResponse, reason: KvNotAppliedReason, leader: string | null, error: string): void =>
    send(res, 503, { outcome: 'not_applied', reason, leader, error });
  const unknown = (res: http.ServerResponse, reason: KvUnknownReason, error: string): void => send(res, 504, { outcome: 'unknown', reason, error });
  const fail = (res: http.ServerResponse, e: unknown, write: boolean): void => {
    if (e instanceof NotLeaderError) return notApplied(res, 'NotLeader', e.leader, e.message);
    if (e instanceof ProposalDroppedError) return notApplied(res, 'ProposalDropped', raft.status().leader, e.message);
    if (e instanceof StoppedError) return write ? unknown(res, 'CommitStatusUnknown', e.message) : notApplied(res, 'Stopped', null, e.message);
    if (e instanceof CommitStatusUnknownError) return unknown(res, 'CommitStatusUnknown', e.message);
    if (e instanceof RaftError) return write ? unknown(res, 'Timeout', e.message) : notApplied(res, 'LeaderUnreachable', raft.status().leader, e.message);
    send(res, 500, { error: String(e) });
  };
  /** Runs `p` but answers at the deadline (the operation itself goes on; a write may still apply). */
  const withDeadline = <T,>(p: Promise<T>, deadline: number, onOk: (v: T) => void, onErr: (e: unknown) => void, onTimeout: () => void): void => {
    let settled = false;
    const t = setTimeout(() => {
      if (settled) return;
      settled = true;
      onTimeout();
    }, Math.max(0, deadline - Date.now()));
    p.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        onOk(v);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        onErr(e);
      },
    );
  };
  const proxy = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, leader: string, deadline: number): void => {
    const m = o.members[leader] as KvMember;
    let sent = false;
    let answered = false;
    const p = http.request(
      {
        host: m.host,
        port: m.httpPort,
        method: req.method,
        path: req.url,
        agent,
        headers: {
          'content-type': 'text/plain',
          'x-forwarded': '1',
          'x-timeout-ms': String(Math.max(1, deadline - Date.now())),
          ...(req.headers['x-request-id'] ? { 'x-request-id': req.headers['x-request-id'] } : {}),
        },
      },
      (r) => {
        answered = true;
        clearTimeout(timer);
        forwards.delete(inFlight);
        circuit.succeeded(leader);
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          if (res.headersSent) return;
          res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' });
          res.end(Buffer.concat(chunks));
        });
        r.on('error', () => unknown(res, 'ForwardFailed', `answer from leader ${leader} broke off`));
      },
    );
    p.on('socket', (s) => {
      if (!s.connecting) sent = true;
      else s.once('connect', () => (sent = true));
    });
    const timer = setTimeout(() => p.destroy(new Error(`no answer from leader ${leader} within the request's timeout`)), Math.max(0, deadline - Date.now()));
    const inFlight = { leader, abandon: (why: string) => p.destroy(new Error(why)) };
    forwards.add(inFlight);
    p.on('close', () => forwards.delete(inFlight));
    p.on('error', (e) => {
      clearTimeout(timer);
      forwards.delete(inFlight);
      if (answered) return;
      circuit.failed(leader);
      // Never connected: the leader never saw the request. Connected: it may have applied it.
      if (!sent) notApplied(res, 'LeaderUnreachable', leader, `cannot reach leader ${leader}: ${e.message}`);
      else unknown(res, 'ForwardFailed', `forward to leader ${leader} failed: ${e.message}`);
    });
    p.end(body);
  };
  const propose = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, cmd: KvCommand, deadline: number): void => {
    if (!raft.isLeader()) {
      const leader = raft.status().leader;
      if (leader && leader !== o.id && req.headers['x-forwarded'] === undefined) {
        if (!circuit.admit(leader)) {
          return notApplied(res, 'LeaderUnreachable', leader, `member ${o.id} cannot reach leader ${leader} right now; send to it directly`);
        }
        return proxy(req, res, body, leader, deadline);
      }
      return fail(res, new NotLeaderError(leader, `member ${o.id}`), true);
    }
    withDeadline(
      raft.propose(encodeCommand(cmd)),
      deadline,
      (r) => send(res, 200, r),
      (e) => fail(res, e, true),
      () => unknown(res, 'Timeout', `not applied within the request's timeout on leader ${o.id}; it may still be applied`),
    );
  };
  const read = (res: http.ServerResponse, key: string, deadline: number): void => {
    const leader = raft.isLeader() ? null : raft.status().leader;
    if (leader && !circuit.admit(leader)) {
      return notApplied(res, 'LeaderUnreachable', leader, `member ${o.id} cannot reach leader ${leader} right now`);
    }
    withDeadline(
      raft.readBarrier(),
      deadline,
      (index) => {
        if (leader) circuit.succeeded(leader);
        send(res, 200, { value: sm.get(key), index });
      },
      (e) => {
        if (leader) circuit.failed(leader);
        fail(res, e, false);
      },
      () => {
        if (leader) circuit.failed(leader);
        notApplied(res, 'LeaderUnreachable', leader, `read barrier on ${o.id} did not complete within the request's timeout`);
      },
    );
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
        const timeoutHeader = req.headers['x-timeout-ms'];
        const timeoutMs = timeoutHeader === undefined ? defaultTimeoutMs : Number(timeoutHeader);
        if (!(timeoutMs > 0)) throw new Error(`x-timeout-ms "${String(timeoutHeader)}": expected a positive number of milliseconds`);
        const deadline = Date.now() + timeoutMs;
        const rid = parseRequestId(req.headers['x-request-id']);
        const withRid = rid ? { rid } : {};
        if (req.method === 'PUT' && kv) return propose(req, res, body, { op: 'put', key: decodeURIComponent(kv[1] as string), value: body.toString(), ...withRid }, deadline);
        if (req.method === 'POST' && cas) {
          const b = JSON.parse(body.toString()) as { expected: string | null; value: string };
          return propose(req, res, body, { op: 'cas', key: decodeURIComponent(cas[1] as string), expected: b.expected ?? null, value: b.value, ...withRid }, deadline);
        }
        if (req.method === 'GET' && kv) return read(res, decodeURIComponent(kv[1] as string), deadline);
        if (req.method === 'GET' && url.pathname === '/status') return send(res, 200, raft.status());
        send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      } catch (e) {
        send(res, 400, { error: e instanceof Error ? e.message : String(e) });
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
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A follower's view of whether it can reach the leader: after a failure it answers at once
 * (the caller goes to the leader directly) and lets one trial request through at a time,
 * every `retryMs`, until one succeeds. A new leader starts with a clean slate.
 */
class LeaderCircuit {
  private state: { leader: string; retryAt: number; trial: boolean } | null = null;

  constructor(private readonly retryMs: number) {}

  /** Whether a request through `leader` may go ahead now. */
  admit(leader: string): boolean {
    const s = this.state;
    if (!s || s.leader !== leader) return true;
    if (s.trial || Date.now() < s.retryAt) return false;
    s.trial = true;
    return true;
  }

  failed(leader: string): void {
    this.state = { leader, retryAt: Date.now() + this.retryMs, trial: false };
  }

  succeeded(leader: string): void {
    if (this.state?.leader === leader) this.state = null;
  }
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
