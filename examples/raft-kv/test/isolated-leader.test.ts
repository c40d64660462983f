import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, freePort, spawnMember, waitFor } from './helpers.js';
import { LinkProxy } from './link-proxy.js';

// A leader cut off from both followers (every link through a loopback proxy, blackholed):
// a write sent to it, and a write a follower forwarded to it, are answered "outcome
// unknown" within about two election timeouts, not at the request's own timeout, and a
// retry with the same request id at the new leader applies the write exactly once.

const IDS = ['n1', 'n2', 'n3'];
const TICK_MS = 20; // election timeout 200-400 ms
const REQUEST_TIMEOUT_MS = 6000;
/** Far below REQUEST_TIMEOUT_MS, far above two election timeouts (slack for a loaded machine). */
const PROMPT_MS = 2500;

/** Runs a wait, naming the phase when it times out (the helper's message does not say which). */
async function phase<T>(name: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'raft-kv-iso-'));
const procs = new Map<string, ChildProcess>();
const proxies: LinkProxy[] = [];
afterAll(async () => {
  for (const p of procs.values()) p.kill('SIGKILL');
  await Promise.all(proxies.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('raft-kv: an isolated leader and the followers forwarding to it answer at once', () => {
  it('writes to the isolated leader and through a follower get 504 unknown within about two election timeouts; retries apply once', async () => {
    const raftPort = new Map<string, number>();
    const httpPort = new Map<string, number>();
    for (const id of IDS) {
      raftPort.set(id, await freePort());
      httpPort.set(id, await freePort());
    }
    const links = new Map<string, LinkProxy[]>();
    for (const a of IDS) {
      for (const b of IDS) {
        if (a === b) continue;
        const l = [await LinkProxy.create(raftPort.get(b) as number), await LinkProxy.create(httpPort.get(b) as number)];
        proxies.push(...l);
        links.set(`${a}>${b}`, l);
      }
    }
    const membersFor = (self: string): string =>
      IDS.map((id) => {
        if (id === self) return `${id}=127.0.0.1:${raftPort.get(id)}:${httpPort.get(id)}`;
        const [r, h] = links.get(`${self}>${id}`) as LinkProxy[];
        return `${id}=127.0.0.1:${r?.port}:${h?.port}`;
      }).join(',');
    for (const id of IDS) procs.set(id, spawnMember(id, membersFor(id), dir, TICK_MS));
    const role = async (id: string): Promise<unknown> => (await call(httpPort.get(id) as number, 'GET', '/status')).json['role'];
    const leader = await phase('first leader', waitFor(async () => {
      for (const id of IDS) if ((await role(id)) === 'leader') return id;
      return undefined;
    }, 30_000));
    const follower = IDS.find((id) => id !== leader) as string;
    const put = (via: string, key: string, rid: string): Promise<{ status: number; json: Record<string, unknown>; ms: number }> => {
      const t = performance.now();
      return call(httpPort.get(via) as number, 'PUT', `/kv/${key}`, `value-${rid}`, { 'x-request-id': rid, 'x-timeout-ms': String(REQUEST_TIMEOUT_MS) }).then((r) => ({
        ...r,
        ms: performance.now() - t,
      }));
    };
    // warm up: the follower's forwarding connection to the leader exists
    await phase('warm-up write through a follower', waitFor(async () => ((await put(follower, 'warm', 't:1')).status === 200 ? true : undefined), 30_000));

    for (const [k, ls] of links) {
      const [a, b] = k.split('>');
      if (a === leader || b === leader) for (const l of ls) l.cut('blackhole');
    }
    const [direct, forwarded] = await Promise.all([put(leader, 'a', 't:2'), put(follower, 'b', 't:3')]);
    // Before: both were answered only at the request's timeout (6 s).
    expect(direct.ms, JSON.stringify(direct)).toBeLessThan(PROMPT_MS);
    expect(forwarded.ms, JSON.stringify(forwarded)).toBeLessThan(PROMPT_MS);
    for (const r of [direct, forwarded]) {
      // appended (or sent) but not known committed: unknown; or, if the follower had already
      // given up on the leader, not applied: either way an answer, not a hang
      expect([503, 504], JSON.stringify(r)).toContain(r.status);
    }
    expect(direct.status, JSON.stringify(direct)).toBe(504);

    // the majority elects a leader; retries with the same ids apply each write once
    const others = IDS.filter((id) => id !== leader);
    const retry = async (key: string, rid: string): Promise<Record<string, unknown>> =>
      phase(
        `retry of ${rid} at the majority`,
        waitFor(async () => {
          for (const id of others) {
            const r = await put(id, key, rid);
            if (r.status === 200) return r.json;
          }
          return undefined;
        }, 30_000),
      );
    await retry('a', 't:2');
    await retry('b', 't:3');
    for (const [, ls] of links) for (const l of ls) l.heal();
    // once healed, the old leader catches up and reads the writes through itself
    for (const key of ['a', 'b']) {
      const got = await phase(
        `read of ${key} through the healed old leader`,
        waitFor(async () => {
          const r = await call(httpPort.get(leader) as number, 'GET', `/kv/${key}`);
          return r.status === 200 ? r.json['value'] : undefined;
        }, 30_000),
      );
      expect(got).toBe(`value-t:${key === 'a' ? 2 : 3}`);
    }
    // exactly once: a third retry of each id is answered as a duplicate of the first result
    for (const [key, rid] of [['a', 't:2'], ['b', 't:3']] as const) {
      const r = await retry(key, rid);
      expect(r['duplicate'], JSON.stringify(r)).toBe(true);
    }
  }, 120_000);
});
