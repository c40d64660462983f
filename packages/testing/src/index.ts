// @scylla-cp/testing public API (flat barrel). Keep one export line per module.
export * from './task-workflow.js';
export * from './test-cluster.js';
