import { afterAll, beforeAll } from 'vitest';
import { PostgresServer } from '@scylla-cp/store-postgres/test-support';

/**
 * One PostgreSQL server for the test file: started before its tests, destroyed after.
 * `fixture.server` is set once `beforeAll` has run.
 */
export function usePostgresServer(options: Parameters<typeof PostgresServer.start>[0] = {}): { server: PostgresServer } {
  const fixture = {} as { server: PostgresServer };
  beforeAll(async () => {
    fixture.server = await PostgresServer.start(options);
  }, 120_000);
  afterAll(async () => {
    await fixture.server?.destroy();
  });
  return fixture;
}
