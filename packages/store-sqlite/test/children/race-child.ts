// Child process of cluster-lock-race.test.ts: at agreed wall-clock instants, tries to
// create a job on a fresh cluster per round, and prints one JSON line per round.
// Usage: race-child.ts <db> <who> <rounds> <gapMs>; prints `ready`, then reads the start
// instant (ms since epoch) from stdin.
import readline from 'node:readline';
import { isErrorKind } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { newJob } from '../helpers.js';

const [db, who, rounds, gap] = process.argv.slice(2);
const store = await SqliteStore.open(db!);
console.log('ready');
const input = readline.createInterface({ input: process.stdin });
const startAt = await new Promise<string>((resolve) => input.once('line', resolve));
input.close();
for (let r = 0; r < Number(rounds); r++) {
  const at = Number(startAt) + r * Number(gap);
  while (Date.now() < at) {
    // spin: both processes start the round at the same millisecond
  }
  const id = `${who}-${r}`;
  try {
    await store.createJob(newJob(id, { cluster: `race-${r}`, operator: who, at: Date.now() }));
    console.log(JSON.stringify({ round: r, id, outcome: 'won' }));
  } catch (e) {
    const locked = isErrorKind(e, 'ClusterLockedError');
    const heldBy = locked ? (e as { heldByJobId: string; heldByOperator: string }) : undefined;
    console.log(
      JSON.stringify({
        round: r,
        id,
        outcome: locked ? 'locked' : 'error',
        heldByJobId: heldBy?.heldByJobId,
        heldByOperator: heldBy?.heldByOperator,
        message: String(e),
      }),
    );
  }
}
await store.close();
