// A runner that stalls (a suspended laptop: its heartbeat stops) loses its lease after the
// TTL; a new runner in another connection takes the job over; when the zombie wakes up, its
// writes are rejected by the fencing token and it stops without recording anything.
// The scenario is shared with the PostgreSQL store (@scylla-cp/store-sql/test-support).
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runZombieRunnerScenario, type ZombieExpect } from '@scylla-cp/store-sql/test-support';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { tempDir } from './helpers.js';

const tmp = tempDir('scp-zombie-');
afterAll(() => tmp.cleanup());

it('a zombie runner whose lease was taken over cannot write, and the new runner finishes the job', async () => {
  const db = path.join(tmp.dir, 'jobs.db');
  await runZombieRunnerScenario(expect as unknown as ZombieExpect, () => SqliteStore.open(db));
});
