// Child process of cluster-lock-race.test.ts: at agreed wall-clock instants, tries to
// create a job on a fresh cluster per round, and prints one JSON line per round.
// Usage: race-child.ts <db> <who> <rounds> <gapMs>; prints `ready`, then reads the start
// instant (ms since epoch) from stdin.
import { raceChildMain } from '@scylla-cp/store-sql/test-support';
import { SqliteStore } from '@scylla-cp/store-sqlite';

const [db, who, rounds, gap] = process.argv.slice(2);
const store = await SqliteStore.open(db!);
await raceChildMain(store, who!, Number(rounds), Number(gap));
