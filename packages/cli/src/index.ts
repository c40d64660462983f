// @scylla-cp/cli public API (flat barrel).
export * from './main.js';
export * from './exit-codes.js';
export * from './cli-io.js';
export * from './config-file.js';
export * from './plugin-loader.js';
export * from './notify-spec.js';
export * from './format-error.js';
export * from './state-paths.js';
export * from './runtime.js';
export * from './progress/progress-view.js';
export * from './progress/json-view.js';
export * from './progress/line-view.js';
export * from './progress/tty-view.js';
export * from './commands/execute-job.js';
export * from './commands/status-report.js';
