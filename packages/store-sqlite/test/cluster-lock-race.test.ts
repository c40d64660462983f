import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';
import { startChild } from './children/spawn.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function waitFor(ready: () => boolean, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  while (!ready()) {
    if (gone) throw new Error('a racer exited before it was ready');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface RoundResult {
  round: number;
  id: string;
  outcome: 'won' | 'locked' | 'error';
  heldByJobId?: string;
  heldByOperator?: string;
  message: string;
}

it('two processes racing to start a job on the same cluster: exactly one wins, the other gets ClusterLockedError', async () => {
  const db = path.join(tmp.dir, 'race.db');
  await (await SqliteStore.open(db)).close(); // create the schema once, so both racers only insert
  const rounds = 20;
  const racers = ['alice', 'bob'].map((who) =>
    startChild('race-child.ts', [db, who, String(rounds), '25'], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  // Barrier: once both have opened the store, give them one start instant a little ahead.
  await Promise.all(racers.map((r) => waitFor(() => r.output().stdout.startsWith('ready\n'), r.done)));
  const startAt = Date.now() + 200;
  for (const r of racers) r.child.stdin!.end(`${startAt}\n`);
  const results = await Promise.all(racers.map((r) => r.done));
  for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = results.map((r) => r.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as RoundResult));

  for (let round = 0; round < rounds; round++) {
    const [a, b] = lines.map((l) => l.find((x) => x.round === round)!);
    const outcomes = [a!.outcome, b!.outcome].sort();
    expect(outcomes, `round ${round}: ${a!.message} / ${b!.message}`).toEqual(['locked', 'won']);
    const winner = a!.outcome === 'won' ? a! : b!;
    const loser = a!.outcome === 'won' ? b! : a!;
    expect(loser.heldByJobId).toBe(winner.id);
    expect(loser.heldByOperator).toBe(winner.id.split('-')[0]);
    expect(loser.message).toContain(`locked by job ${winner.id}`);
  }

  const store = await SqliteStore.open(db);
  try {
    for (let round = 0; round < rounds; round++) {
      const jobs = await store.listJobs({ cluster: `race-${round}` });
      expect(jobs).toHaveLength(1);
    }
  } finally {
    await store.close();
  }
});
