// @scylla-cp/store-postgres public API (flat barrel). Keep one export line per module.
// The PostgreSQL test harness is a separate entry: @scylla-cp/store-postgres/test-support.
export * from './postgres-store.js';
export * from './postgres-store-options.js';
export * from './postgres-store-errors.js';
export * from './errors/error-codes.js';
export * from './postgres-migrations.js';
export type { PostgresStoreSchema } from './open-postgres-database.js';
