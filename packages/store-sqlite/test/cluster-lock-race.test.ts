import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runClusterLockRace } from '@scylla-cp/store-sql/test-support';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';
import { startChild } from './children/spawn.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('two processes racing to start a job on the same cluster: exactly one wins, the other gets ClusterLockedError', async () => {
  const db = path.join(tmp.dir, 'race.db');
  await (await SqliteStore.open(db)).close(); // create the schema once, so both racers only insert
  await runClusterLockRace({
    expect,
    startRacer: (who, rounds, gapMs) => startChild('race-child.ts', [db, who, String(rounds), String(gapMs)], { stdio: ['pipe', 'pipe', 'pipe'] }),
    openStore: () => SqliteStore.open(db),
    rounds: 20,
  });
});
