import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftPrng as Prng } from '../../../packages/raft/src/index.js';
import { call, freePort, spawnMember, waitFor } from './helpers.js';
import { LinkProxy, type CutMode } from './link-proxy.js';
import { checkRegisters, type RegisterOp } from './register-checker.js';

// Linearizability and availability of raft-kv under process kills, pauses (SIGSTOP) and
// real partitions: every member reaches every other member (Raft and forwarded HTTP)
// through a loopback TCP proxy per directed link, which the test cuts and heals.
// Clients talk to members directly, retry writes with the same request id, and every key's
// history is checked for linearizability. SEED=<n> reproduces the client choices.

const SEED = Number(process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const IDS = ['n1', 'n2', 'n3'];
const TICK_MS = 20; // election timeout 200-400 ms
const CLIENT_TIMEOUT_MS = 2000; // like a real client: long enough that a hanging member hurts
const CUT_MS = 2500;
const SETTLE_MS = 1500;

const dir = mkdtempSync(join(tmpdir(), 'raft-kv-lin-'));
const procs = new Map<string, ChildProcess>();
const proxies: LinkProxy[] = [];
afterAll(async () => {
  for (const p of procs.values()) {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  }
  await Promise.all(proxies.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = xs.slice().sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] as number);
}

interface Window {
  readonly name: string;
  readonly member: string;
  readonly startMs: number;
  endMs: number;
  /** First successful read through `member` after the heal (a probe asks it every 20 ms). */
  recoveredMs: number | null;
}

describe('raft-kv: linearizable and available under kills, pauses and partitions', () => {
  it(`SEED=${SEED}: every key's history is linearizable; ok ops continue during cuts and resume quickly after heals`, async () => {
    console.log(`SEED=${SEED}`);
    const prng = new Prng(SEED);
    const raftPort = new Map<string, number>();
    const httpPort = new Map<string, number>();
    for (const id of IDS) {
      raftPort.set(id, await freePort());
      httpPort.set(id, await freePort());
    }
    // links.get(`${from}>${to}`): the proxies carrying from's traffic to `to`
    const links = new Map<string, { raft: LinkProxy; http: LinkProxy }>();
    for (const a of IDS) {
      for (const b of IDS) {
        if (a === b) continue;
        const l = { raft: await LinkProxy.create(raftPort.get(b) as number), http: await LinkProxy.create(httpPort.get(b) as number) };
        proxies.push(l.raft, l.http);
        links.set(`${a}>${b}`, l);
      }
    }
    const membersFor = (self: string): string =>
      IDS.map((id) => {
        if (id === self) return `${id}=127.0.0.1:${raftPort.get(id)}:${httpPort.get(id)}`;
        const l = links.get(`${self}>${id}`) as { raft: LinkProxy; http: LinkProxy };
        return `${id}=127.0.0.1:${l.raft.port}:${l.http.port}`;
      }).join(',');
    const start = (id: string): void => void procs.set(id, spawnMember(id, membersFor(id), dir, TICK_MS, ['--snapshot-entries', '200']));
    for (const id of IDS) start(id);

    const status = async (id: string): Promise<Record<string, unknown> | undefined> => {
      try {
        return (await call(httpPort.get(id) as number, 'GET', '/status')).json;
      } catch {
        return undefined;
      }
    };
    const leaderAmong = async (among: string[]): Promise<string | undefined> => {
      for (const id of among) if ((await status(id))?.['role'] === 'leader') return id;
      return undefined;
    };
    await waitFor(() => leaderAmong(IDS), 30_000);

    // ---------------------------------------------------------------- clients
    const t0 = performance.now();
    const now = (): number => performance.now() - t0;
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const history = new Map<string, RegisterOp[]>(keys.map((k) => [k, []]));
    const oks: { at: number; member: string }[] = [];
    /** Every answer (or client timeout) per member: when it was asked, and how long the answer took. */
    const answers: { at: number; member: string; ms: number }[] = [];
    let running = true;
    let valueSeq = 0;
    const counts = { ok: 0, notApplied: 0, unknown: 0, duplicates: 0, retries: 0 };

    const attempt = async (member: string, method: string, path: string, body: string | undefined, rid?: string): Promise<{ kind: 'ok' | 'not_applied' | 'unknown'; json: Record<string, unknown> }> => {
      const at = now();
      try {
        return await attemptOnce(member, method, path, body, rid);
      } finally {
        answers.push({ at, member, ms: now() - at });
      }
    };
    const attemptOnce = async (member: string, method: string, path: string, body: string | undefined, rid?: string): Promise<{ kind: 'ok' | 'not_applied' | 'unknown'; json: Record<string, unknown> }> => {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort.get(member)}${path}`, {
          method,
          ...(body !== undefined ? { body } : {}),
          headers: { 'x-timeout-ms': String(CLIENT_TIMEOUT_MS - 100), ...(rid ? { 'x-request-id': rid } : {}) },
          signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
        });
        const json = (await res.json()) as Record<string, unknown>;
        if (res.status === 200) return { kind: 'ok', json };
        if (res.status === 503 && json['outcome'] === 'not_applied') return { kind: 'not_applied', json };
        return { kind: 'unknown', json };
      } catch {
        return { kind: 'unknown', json: {} }; // timeout, connection refused or reset: the write may have happened
      }
    };

    const client = async (ci: number): Promise<void> => {
      const p = prng.fork();
      let member = IDS[ci % IDS.length] as string;
      let seq = 0;
      const other = (): string => p.pick(IDS.filter((id) => id !== member));
      let hinted = member;
      // A member that timed out is avoided for a second (a paused or cut-off process
      // cannot answer; only the client can route around it).
      const avoidUntil = new Map<string, number>();
      const usable = (): string[] => {
        const ok = IDS.filter((id) => (avoidUntil.get(id) ?? 0) <= now());
        return ok.length > 0 ? ok : IDS;
      };
      while (running) {
        // Half the operations go to the member last named leader, the others anywhere
        // (as a load balancer would): a member that makes callers wait is picked often.
        const pool = usable();
        member = p.chance(0.5) && pool.includes(hinted) ? hinted : (p.pick(pool) as string);
        const key = p.pick(keys);
        if (p.chance(0.55)) {
          const value = `v${++valueSeq}`;
          const rid = `c${ci}:${++seq}`;
          const invokeMs = now();
          let outcome: 'ok' | 'failed' | 'unknown' = 'failed';
          let everUnknown = false;
          // Retry with the same request id until it is known to be applied, or known not
          // to be (only if no earlier attempt could have applied it), or the run ends.
          for (let tries = 0; running || tries === 0; tries++) {
            if (tries > 0) counts.retries++;
            const r = await attempt(member, 'PUT', `/kv/${key}`, value, rid);
            if (r.kind === 'ok') {
              outcome = 'ok';
              if (r.json['duplicate']) counts.duplicates++;
              oks.push({ at: now(), member });
              break;
            }
            if (r.kind === 'unknown') {
              everUnknown = true;
              counts.unknown++;
              avoidUntil.set(member, now() + 1000);
              member = other();
              continue;
            }
            counts.notApplied++;
            const hint = r.json['leader'];
            if (typeof hint === 'string') hinted = hint;
            member = typeof hint === 'string' && hint !== member && p.chance(0.8) ? hint : other();
            if (!everUnknown) break;
          }
          const completeMs = outcome === 'ok' ? now() : outcome === 'failed' ? -1 : Infinity;
          if (outcome === 'ok') counts.ok++;
          if (completeMs !== -1) (history.get(key) as RegisterOp[]).push({ kind: 'write', value, invokeMs, completeMs, label: `${rid}` });
          else failedValues.add(value);
        } else {
          const invokeMs = now();
          const r = await attempt(member, 'GET', `/kv/${key}`, undefined);
          if (r.kind === 'ok') {
            counts.ok++;
            oks.push({ at: now(), member });
            (history.get(key) as RegisterOp[]).push({ kind: 'read', value: (r.json['value'] as string | null) ?? null, invokeMs, completeMs: now(), label: `read via ${member}` });
          } else {
            if (r.kind === 'unknown') {
              counts.unknown++;
              avoidUntil.set(member, now() + 1000);
            } else counts.notApplied++;
            const hint = r.json['leader'];
            if (typeof hint === 'string') hinted = hint;
          }
        }
      }
    };
    const failedValues = new Set<string>();
    const clients = Array.from({ length: 8 }, (_, i) => client(i));

    // ---------------------------------------------------------------- nemesis
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const windows: Window[] = [];
    const setLinks = (pred: (from: string, to: string) => boolean, cut: boolean, mode: CutMode = 'blackhole'): void => {
      for (const [k, l] of links) {
        const [from, to] = k.split('>') as [string, string];
        if (!pred(from, to)) continue;
        if (cut) {
          l.raft.cut(mode);
          l.http.cut(mode);
        } else {
          l.raft.heal();
          l.http.heal();
        }
      }
    };
    const healAll = (): void => setLinks(() => true, false);
    const currentLeader = async (): Promise<string> => (await waitFor(() => leaderAmong(IDS), 20_000)) as string;
    /** Reads through `member` until one succeeds; the first read is issued while the cut still holds. */
    const probe = async (member: string, untilMs: number): Promise<number | null> => {
      while (now() < untilMs) {
        const r = await attempt(member, 'GET', '/kv/k0', undefined);
        if (r.kind === 'ok') return now();
        await sleep(20);
      }
      return null;
    };
    const during = async (name: string, member: string, begin: () => void | Promise<void>, end: () => void | Promise<void>, settleMs = SETTLE_MS): Promise<void> => {
      await begin();
      const w: Window = { name, member, startMs: now(), endMs: 0, recoveredMs: null };
      await sleep(CUT_MS - 300);
      const probing = probe(member, now() + 300 + settleMs);
      await sleep(300);
      w.endMs = now();
      windows.push(w);
      await end();
      const settled = sleep(settleMs);
      const t = await probing;
      w.recoveredMs = t === null ? null : Math.max(0, t - w.endMs);
      await settled;
    };

    await sleep(SETTLE_MS);
    const baseline = { startMs: now(), endMs: 0 };
    await sleep(CUT_MS);
    baseline.endMs = now();

    let l = await currentLeader();
    await during('isolate the leader (both ways)', l, () => setLinks((a, b) => a === l || b === l, true), healAll);
    l = await currentLeader();
    let f = IDS.find((id) => id !== l) as string;
    await during('one way: a follower hears the leader but cannot reach it', f, () => setLinks((a, b) => a === f && b === l, true, 'reject'), healAll);
    l = await currentLeader();
    f = IDS.find((id) => id !== l) as string;
    await during('isolate a follower (both ways, connections rejected)', f, () => setLinks((a, b) => a === f || b === f, true, 'reject'), healAll);
    l = await currentLeader();
    const killed = l;
    await during(
      'kill the leader (SIGKILL), restart it',
      killed,
      () => void procs.get(killed)?.kill('SIGKILL'),
      () => start(killed),
      15_000, // includes starting a new process (node + tsx)
    );
    await waitFor(async () => ((await status(killed)) ? true : undefined), 30_000);
    l = await currentLeader();
    const paused = l;
    await during(
      'pause the leader (SIGSTOP), continue it',
      paused,
      () => void procs.get(paused)?.kill('SIGSTOP'),
      () => void procs.get(paused)?.kill('SIGCONT'),
    );
    running = false;
    await Promise.all(clients);

    // ---------------------------------------------------------------- verdicts
    const rate = (a: number, b: number, member?: string): number => oks.filter((o) => o.at >= a && o.at < b && (!member || o.member === member)).length / ((b - a) / 1000);
    const baseRate = rate(baseline.startMs, baseline.endMs);
    console.log(JSON.stringify({ seed: SEED, baseline_ok_per_s: Math.round(baseRate), ...counts }));
    const report: Record<string, unknown>[] = [];
    for (const w of windows) {
      const firstAfterHeal = oks.find((o) => o.at >= w.endMs);
      // The first success from 100 ms into the cut (answers already on their way when it
      // began do not count): when the cluster served again, e.g. after re-electing.
      const firstDuring = oks.find((o) => o.at >= w.startMs + 100 && o.at < w.endMs);
      const r = {
        cut: w.name,
        ok_per_s_during: Math.round(rate(w.startMs, w.endMs)),
        first_ok_after_cut_ms: firstDuring ? Math.round(firstDuring.at - w.startMs) : null,
        // throughput once serving again: callers still held by a deposed or unreachable
        // member lower it; the time an election takes does not
        ok_per_s_after_first_ok_during: firstDuring && w.endMs - firstDuring.at >= 300 ? Math.round(rate(firstDuring.at, w.endMs)) : null,
        ok_per_s_baseline: Math.round(baseRate),
        first_ok_after_heal_ms: firstAfterHeal ? Math.round(firstAfterHeal.at - w.endMs) : null,
        first_ok_via_cut_member_after_heal_ms: w.recoveredMs === null ? null : Math.round(w.recoveredMs),
        p50_answer_ms_via_cut_member_during: median(answers.filter((a) => a.at >= w.startMs + 500 && a.at < w.endMs - 300 && a.member === w.member).map((a) => a.ms)),
        // Requests sent to any member during the cut that were held until (about) the
        // client's timeout: a caller that waited it out instead of being told to go elsewhere.
        waited_out_timeout_during: answers.filter((a) => a.at >= w.startMs && a.at < w.endMs && a.ms >= CLIENT_TIMEOUT_MS - 250).length,
        max_answer_ms_during: Math.round(Math.max(0, ...answers.filter((a) => a.at >= w.startMs && a.at < w.endMs).map((a) => a.ms))),
      };
      report.push(r);
      console.log(JSON.stringify(r));
    }

    // safety: per-key linearizability, and no read sees a write reported as not applied
    const failures = checkRegisters(history);
    expect(failures, `SEED=${SEED}\n${failures.map((x) => `${x.key}: ${x.reason}`).join('\n')}`).toEqual([]);
    for (const ops of history.values()) for (const o of ops) if (o.kind === 'read' && o.value !== null) expect(failedValues.has(o.value)).toBe(false);
    expect(counts.ok).toBeGreaterThan(100);

    // availability: a majority with a leader stays reachable in every window, so the
    // cluster keeps serving at a quarter of the baseline at least (a low bar for a loaded
    // 2-core machine; the figures are printed above), and a member cut off serves again
    // within a second of the heal (a restarted process: once it has started).
    for (const r of report) {
      const cut = String(r['cut']);
      // A stopped (SIGSTOP) process holds every request sent to it until the client's
      // timeout, whatever the server does: its window is measured and printed only.
      // An isolated leader's window includes an election, whose length on a loaded machine
      // (ticks slip: 0.3-2 s seen at load 10-18) decides the whole-window figure; it is held
      // instead to serving again with at least 300 ms of the window left, and from then on
      // at a quarter of the baseline. (Before, every caller that had picked the isolated
      // leader stayed with it until its own timeout.)
      if (cut.startsWith('isolate the leader')) {
        expect(r['first_ok_after_cut_ms'], JSON.stringify(r)).not.toBeNull();
        expect(r['ok_per_s_after_first_ok_during'], JSON.stringify(r)).not.toBeNull();
        expect(r['ok_per_s_after_first_ok_during'] as number, JSON.stringify(r)).toBeGreaterThan(0.25 * baseRate);
      } else if (!cut.startsWith('pause')) expect(r['ok_per_s_during'] as number, JSON.stringify(r)).toBeGreaterThan(0.25 * baseRate);
      // No caller waits out its timeout when the leader is cut off, isolated or killed: an
      // isolated leader steps down within two election timeouts (check-quorum) and answers
      // its pending writes "unknown" at once; a follower drops forwards to a leader it no
      // longer follows. (Before, the isolated leader held writes until the client's
      // timeout: 2 of them at SEED=1 and at SEED=7.)
      if (/^(isolate|kill)/.test(cut)) expect(r['waited_out_timeout_during'], JSON.stringify(r)).toBe(0);
      expect(r['first_ok_via_cut_member_after_heal_ms'], JSON.stringify(r)).not.toBeNull();
      if (!cut.startsWith('kill')) expect(r['first_ok_via_cut_member_after_heal_ms'] as number, JSON.stringify(r)).toBeLessThan(1000);
      // A running member that cannot reach the leader answers at once (not applied, with
      // the leader's id) instead of making its callers wait for their timeout.
      if (/^(one way|isolate a follower)/.test(cut)) expect(r['p50_answer_ms_via_cut_member_during'] as number, JSON.stringify(r)).toBeLessThan(300);
    }
  }, 180_000);
});
