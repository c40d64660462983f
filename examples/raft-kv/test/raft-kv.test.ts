import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, freePort, spawnMember, waitFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'raft-kv-'));
const procs = new Map<string, ChildProcess>();
afterAll(() => {
  for (const p of procs.values()) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('raft-kv: 3 processes over TCP with durable storage', () => {
  it('acknowledged writes survive killing the leader; reads are linearizable; cas works', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const http = new Map<string, number>();
    const parts: string[] = [];
    for (const id of ids) {
      const raftPort = await freePort();
      const httpPort = await freePort();
      http.set(id, httpPort);
      parts.push(`${id}=127.0.0.1:${raftPort}:${httpPort}`);
    }
    const members = parts.join(',');
    for (const id of ids) procs.set(id, spawnMember(id, members, dir));
    const leaderOf = async (among: string[]): Promise<string | undefined> => {
      for (const id of among) {
        const s = await call(http.get(id) as number, 'GET', '/status');
        if (s.json['role'] === 'leader') return id;
      }
      return undefined;
    };
    const first = await waitFor(() => leaderOf(ids));

    // writes through every member (followers proxy to the leader)
    const acked = new Map<string, string>();
    const writeBatch = async (prefix: string, via: string[]): Promise<void> => {
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const key = `${prefix}${i % 10}`;
          const value = `${prefix}-${i}`;
          const r = await call(http.get(via[i % via.length] as string) as number, 'PUT', `/kv/${key}`, value);
          if (r.status === 200) acked.set(`${key}#${r.json['index']}`, value);
        }),
      );
    };
    await writeBatch('a', ids);
    expect(acked.size).toBe(30);

    const cas1 = await call(http.get(first) as number, 'POST', '/cas/c', JSON.stringify({ expected: null, value: 'one' }));
    expect(cas1.json['ok']).toBe(true);
    const cas2 = await call(http.get(first) as number, 'POST', '/cas/c', JSON.stringify({ expected: 'nope', value: 'two' }));
    expect(cas2.json).toMatchObject({ ok: false, previous: 'one' });

    // exactly once: a retry with the same request id, through another member, after a newer
    // write, changes nothing and returns the first result
    const follower = ids.find((id) => id !== first) as string;
    const d1 = await call(http.get(first) as number, 'PUT', '/kv/d', 'one', { 'x-request-id': 'client-a:1' });
    expect(d1.status).toBe(200);
    await call(http.get(first) as number, 'PUT', '/kv/d', 'two', { 'x-request-id': 'client-b:1' });
    const d2 = await call(http.get(follower) as number, 'PUT', '/kv/d', 'one', { 'x-request-id': 'client-a:1' });
    expect(d2.json).toMatchObject({ ok: true, duplicate: true, index: d1.json['index'] });
    expect((await call(http.get(follower) as number, 'GET', '/kv/d')).json['value']).toBe('two');
    const bad = await call(http.get(first) as number, 'PUT', '/kv/d', 'x', { 'x-request-id': 'no-seq' });
    expect(bad.status).toBe(400);
    expect(String(bad.json['error'])).toMatch(/expected <client>:<seq>/);

    // kill the leader hard
    procs.get(first)?.kill('SIGKILL');
    procs.delete(first);
    const survivors = ids.filter((id) => id !== first);
    const second = await waitFor(() => leaderOf(survivors));
    expect(second).not.toBe(first);
    await writeBatch('b', survivors);

    // every acknowledged write is visible (the latest acknowledged value per key wins)
    const latest = new Map<string, { index: number; value: string }>();
    for (const [k, value] of acked) {
      const [key, idx] = k.split('#') as [string, string];
      const cur = latest.get(key);
      if (!cur || Number(idx) > cur.index) latest.set(key, { index: Number(idx), value });
    }
    for (const id of survivors) {
      for (const [key, { value }] of latest) {
        const r = await call(http.get(id) as number, 'GET', `/kv/${key}`);
        expect(r.status).toBe(200);
        expect(r.json['value']).toBe(value);
      }
      expect((await call(http.get(id) as number, 'GET', '/kv/c')).json['value']).toBe('one');
    }

    // the killed member restarts from its SQLite file and catches up
    procs.set(first, spawnMember(first, members, dir));
    await waitFor(async () => {
      const r = await call(http.get(first) as number, 'GET', '/kv/b0');
      return r.status === 200 && r.json['value'] === latest.get('b0')?.value ? true : undefined;
    });
    for (const p of procs.values()) p.kill('SIGTERM');
  }, 90_000);
});
