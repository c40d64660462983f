// @scylla-cp/store-sql/test-support: harness code shared by the SQL stores' tests (not product code).
export * from './test-support/child-process.js';
export * from './test-support/kill-plan.js';
export * from './test-support/kill-resume-driver.js';
export * from './test-support/store-fixtures.js';
export * from './test-support/store-children.js';
export * from './test-support/cluster-lock-race-driver.js';
export * from './test-support/zombie-runner-scenario.js';
