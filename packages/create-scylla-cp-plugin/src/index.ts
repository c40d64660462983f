// create-scylla-cp-plugin public API (flat barrel). Keep one export line per module.
export * from './template-files.js';
export * from './scaffold-plugin.js';
export * from './main.js';
