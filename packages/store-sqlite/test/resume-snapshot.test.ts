import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { newJob, tempDir } from './helpers.js';
import { startChild } from './children/spawn.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('getResumeRecords reads one snapshot: a step another process completes meanwhile is never missing from both lists', async () => {
  const db = path.join(tmp.dir, 'snapshot.db');
  const store = await SqliteStore.open(db, { synchronous: 'NORMAL' });
  await store.createJob(newJob('j'));
  // Enough completed records that the two reads take a while.
  const lease = await store.acquireLease('j', 'setup', 1, 0);
  await store.commit(lease, { at: 0, steps: Array.from({ length: 3_000 }, (_, i) => ({ stepId: `s0/base${i}/t0`, state: 'succeeded' as const, attempts: 1 })) });
  await store.releaseLease(lease);
  const writer = startChild('step-writer-child.ts', [db, 'j'], { stdio: ['pipe', 'pipe', 'pipe'] });
  while (!writer.output().stdout.startsWith('ready\n')) {
    const exited = await Promise.race([writer.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 10))]);
    if (exited) throw new Error(`the writer exited early: ${writer.output().stderr}`);
  }
  let seen = new Set<string>();
  let reads = 0;
  let vanished: string[] = [];
  const until = performance.now() + 4_000;
  while (performance.now() < until && vanished.length === 0) {
    const rr = await store.getResumeRecords('j');
    reads++;
    const now = new Set([...rr.completedStepIds, ...rr.openRecords.map((r) => r.stepId)]);
    vanished = [...seen].filter((id) => !now.has(id));
    seen = now;
    await new Promise((r) => setImmediate(r));
  }
  writer.child.stdin!.end();
  const res = await writer.done;
  await store.close();
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  const written = Number(res.stdout.trim().split('\n').pop());
  console.log(`${reads} reads while the writer completed ${written} steps`);
  expect(written).toBeGreaterThan(100);
  expect(reads).toBeGreaterThan(20);
  expect(vanished).toEqual([]);
}, 30_000);
