// @scylla-cp/server public API (flat barrel). Keep one export line per module.
export * from './token-auth.js';
export * from './engine-metrics.js';
export * from './takeover-guard.js';
export * from './job-runner.js';
export * from './job-service.js';
export * from './job-event-stream.js';
export * from './api-schemas.js';
export * from './scylla-cp-server.js';
export * from './server-client.js';
export * from './errors/error-codes.js';
