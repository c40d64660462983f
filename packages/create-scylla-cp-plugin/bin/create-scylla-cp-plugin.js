#!/usr/bin/env node
// `npm create scylla-cp-plugin@latest <directory>` runs this file.
import { main } from '../dist/index.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`create-scylla-cp-plugin: internal error: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
