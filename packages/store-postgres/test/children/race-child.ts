// Child process of cluster-lock-race.test.ts: at agreed wall-clock instants, tries to
// create a job on a fresh cluster per round, and prints one JSON line per round.
// Usage: race-child.ts <connectionString> <schema> <who> <rounds> <gapMs>; prints `ready`,
// then reads the start instant (ms since epoch) from stdin.
import { raceChildMain } from '@scylla-cp/store-sql/test-support';
import { PostgresStore } from '@scylla-cp/store-postgres';

const [connectionString, schema, who, rounds, gap] = process.argv.slice(2) as [string, string, string, string, string];
const store = await PostgresStore.open({ connectionString, schema });
await raceChildMain(store, who, Number(rounds), Number(gap));
