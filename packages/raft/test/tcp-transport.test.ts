import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, RaftServer, SqliteStorage, TcpTransport, type Message, type StateMachine } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'raft-tcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

class Log implements StateMachine<number> {
  items: string[] = [];
  apply(c: Uint8Array): number {
    return this.items.push(dec(c));
  }
  snapshot(): Uint8Array {
    return enc(JSON.stringify(this.items));
  }
  restore(d: Uint8Array): void {
    this.items = JSON.parse(dec(d)) as string[];
  }
}

const until = async (pred: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('message codec', () => {
  it('round-trips byte arrays inside entries and snapshots', () => {
    const m: Message = {
      type: 'append',
      from: 'a',
      to: 'b',
      term: 3,
      index: 1,
      logTerm: 1,
      commit: 1,
      entries: [{ index: 2, term: 3, type: 'normal', data: new Uint8Array([0, 255, 7]) }],
    };
    const back = decodeMessage(encodeMessage(m));
    expect([...(back.entries?.[0]?.data ?? [])]).toEqual([0, 255, 7]);
    expect(back.entries?.[0]?.data).toBeInstanceOf(Uint8Array);
  });
});

describe('TcpTransport + SqliteStorage', () => {
  it('replicates over TCP, survives a leader stop, and a restarted member reconnects and catches up', async () => {
    const ids = ['a', 'b', 'c'];
    const transports = new Map<string, TcpTransport>();
    for (const id of ids) transports.set(id, await TcpTransport.create({ id, listen: { host: '127.0.0.1', port: 0 }, peers: {}, minBackoffMs: 10, maxBackoffMs: 100 }));
    const ports = new Map(ids.map((id) => [id, (transports.get(id) as TcpTransport).port]));
    const peersOf = () => Object.fromEntries(ids.map((x) => [x, { host: '127.0.0.1', port: ports.get(x) as number }]));
    for (const [, t] of transports) for (const [pid, p] of Object.entries(peersOf())) t.setPeer(pid, p);
    const sms = new Map<string, Log>();
    const servers = new Map<string, RaftServer<number>>();
    const startServer = (id: string, t: TcpTransport): void => {
      const sm = new Log();
      sms.set(id, sm);
      const s = new RaftServer<number>({
        id,
        storage: new SqliteStorage(join(dir, `${id}.db`)),
        transport: t,
        stateMachine: sm,
        bootstrap: { voters: ids },
        tickIntervalMs: 20,
      });
      servers.set(id, s);
      s.start();
    };
    for (const id of ids) startServer(id, transports.get(id) as TcpTransport);
    const leader = (): RaftServer<number> | undefined => [...servers.values()].find((s) => s.isRunning() && s.isLeader());
    await until(() => leader() !== undefined);
    const l1 = leader() as RaftServer<number>;
    const results = await Promise.all(['x', 'y', 'z'].map((v) => l1.propose(enc(v))));
    expect(results).toEqual([1, 2, 3]);
    await until(() => ids.every((id) => sms.get(id)?.items.length === 3));
    l1.stop();
    await until(() => leader() !== undefined && leader() !== l1);
    const l2 = leader() as RaftServer<number>;
    await l2.propose(enc('w'));
    expect(await l2.readBarrier()).toBeGreaterThan(0);
    // restart the old leader from its SQLite file on a fresh transport on the same port
    const t = await TcpTransport.create({ id: l1.id, listen: { host: '127.0.0.1', port: ports.get(l1.id) as number }, peers: peersOf(), minBackoffMs: 10 });
    startServer(l1.id, t);
    await until(() => sms.get(l1.id)?.items.join() === 'x,y,z,w');
    for (const s of servers.values()) s.stop();
  }, 30_000);
});
