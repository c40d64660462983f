import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobStoreContract } from '@scylla-cp/core';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { usePostgresServer } from './pg-fixture.js';

const pg = usePostgresServer();
let n = 0;

// Each test gets a fresh, empty store: its own PostgreSQL schema in one server.
jobStoreContract('PostgresStore', async () => PostgresStore.open({ connectionString: pg.server.connectionString(), schema: `contract_${n++}` }), {
  describe,
  it,
  expect,
  beforeEach,
  afterEach,
});
