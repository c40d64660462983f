// @scylla-cp/store-sqlite public API (flat barrel). Keep one export line per module.
export * from './sqlite-store.js';
export * from './sqlite-store-options.js';
export * from './sqlite-store-errors.js';
export * from './errors/error-codes.js';
export * from './migrations.js';
export type * from './schema.js';
