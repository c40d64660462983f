// Fencing of a zombie runner on PostgreSQL: the SQLite store's scenario (shared), each
// runner on its own PostgresStore (its own pool), as two processes would be.
import { expect, it } from 'vitest';
import { runZombieRunnerScenario, type ZombieExpect } from '@scylla-cp/store-sql/test-support';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { usePostgresServer } from './pg-fixture.js';

const pg = usePostgresServer();

it('a zombie runner whose lease was taken over cannot write, and the new runner finishes the job', async () => {
  await runZombieRunnerScenario(expect as unknown as ZombieExpect, () => PostgresStore.open({ connectionString: pg.server.connectionString(), schema: 'zombie' }));
});
