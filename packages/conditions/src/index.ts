// @scylla-cp/conditions public API (flat barrel). Keep one export line per module.
export * from './version.js';
export * from './prometheus-error.js';
export * from './prometheus-result.js';
export * from './prometheus-client.js';
export * from './prometheus-settings.js';
export * from './node-series.js';
export * from './prometheus-service.js';
export * from './comparator.js';
export * from './query-samples.js';
export * from './conditions/compactions-nominal.js';
export * from './conditions/prometheus-query.js';
export * from './conditions/node-operation-mode-normal.js';
export * from './conditions/coordinator-latency-below.js';
export * from './prometheus-plugin.js';
