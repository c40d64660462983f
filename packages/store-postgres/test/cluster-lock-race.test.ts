import { expect, it } from 'vitest';
import { runClusterLockRace } from '@scylla-cp/store-sql/test-support';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { startChild } from './children/spawn.js';
import { usePostgresServer } from './pg-fixture.js';

const pg = usePostgresServer();

it('two processes racing to start a job on the same cluster: exactly one wins, the other gets ClusterLockedError', async () => {
  const url = pg.server.connectionString();
  await (await PostgresStore.open({ connectionString: url, schema: 'race' })).close(); // migrate once
  await runClusterLockRace({
    expect,
    startRacer: (who, rounds, gapMs) => startChild('race-child.ts', [url, 'race', who, String(rounds), String(gapMs)], { stdio: ['pipe', 'pipe', 'pipe'] }),
    openStore: () => PostgresStore.open({ connectionString: url, schema: 'race' }),
    rounds: 20,
  });
});
