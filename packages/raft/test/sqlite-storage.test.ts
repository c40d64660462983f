import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftPrng, SqliteStorage, type Entry } from '../src/index.js';
import { expectedData } from './fixtures/storage-writer-data.js';

const dir = mkdtempSync(join(tmpdir(), 'raft-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStorage', () => {
  it('round-trips entries, truncation, hard state and snapshots', () => {
    const path = join(dir, 'basic.db');
    const s = new SqliteStorage(path);
    const e = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: expectedData(index) });
    s.save({ entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: { term: 1, vote: 'a', commit: 1 } });
    s.save({ entries: [{ index: 3, term: 2, type: 'conf', data: new Uint8Array(), change: { steps: [{ type: 'addVoter', node: 'b' }] } }] });
    s.saveSnapshot({ index: 2, term: 1, conf: { voters: ['a'], votersOutgoing: [], learners: [] }, data: new Uint8Array([7]) }, 1, 1);
    s.close();
    const st = new SqliteStorage(path).load();
    expect(st.hardState).toEqual({ term: 1, vote: 'a', commit: 1 });
    expect(st.offset).toBe(1);
    expect(st.entries.map((x) => [x.index, x.term, x.type])).toEqual([
      [2, 1, 'normal'],
      [3, 2, 'conf'],
    ]);
    expect(st.entries[1]?.change).toEqual({ steps: [{ type: 'addVoter', node: 'b' }] });
    expect(st.snapshot?.index).toBe(2);
    expect([...(st.snapshot?.data ?? [])]).toEqual([7]);
  });

  it('crash test: SIGKILL mid-write (sync and async fsync) keeps the log intact up to the last acknowledged entry', async () => {
    const seed = Number(process.env['SEED'] ?? 20261121);
    console.log(`SEED=${seed}`);
    const prng = new RaftPrng(seed);
    const path = join(dir, 'crash.db');
    const writer = fileURLToPath(new URL('./fixtures/storage-writer.ts', import.meta.url));
    for (let round = 0; round < 6; round++) {
      let lastAck = 0;
      let out = '';
      const child = spawn(process.execPath, ['--import', 'tsx', writer, path, String(seed + round), round % 2 === 0 ? 'sync' : 'async'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const killAfterAcks = prng.int(1, 200);
      let acks = 0;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n');
        out = lines.pop() as string;
        for (const l of lines) {
          if (!l.startsWith('ACK ')) continue;
          lastAck = Number(l.slice(4));
          if (++acks === killAfterAcks) child.kill('SIGKILL');
        }
      });
      await exited;
      expect(err).toBe('');
      expect(acks).toBeGreaterThanOrEqual(killAfterAcks);
      const s = new SqliteStorage(path);
      const st = s.load();
      s.close();
      const lastIndex = st.offset + st.entries.length;
      expect(lastIndex).toBeGreaterThanOrEqual(lastAck);
      st.entries.forEach((e, i) => {
        expect(e.index).toBe(st.offset + 1 + i);
        expect(Buffer.from(e.data).equals(Buffer.from(expectedData(e.index)))).toBe(true);
      });
      expect(st.hardState.commit).toBeLessThanOrEqual(lastIndex);
    }
  }, 120_000);
});
