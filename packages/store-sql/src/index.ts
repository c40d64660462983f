// @scylla-cp/store-sql public API (flat barrel): what the SQL job stores share. Keep one export line per module.
export * from './commit-writes.js';
export * from './iso-time.js';
export * from './plan-cache.js';
export * from './row-mapping.js';
export type * from './schema.js';
export * from './store-queries.js';
export * from './store-rules.js';
export * from './errors/error-codes.js';
