// @scylla-cp/store-postgres/test-support: the PostgreSQL test harness (not product code).
export * from './test-support/postgres-server.js';
