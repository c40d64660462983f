#!/usr/bin/env node
// The scylla-cp command. The package is built on install (the repository's
// `prepare` script runs `npm run build`); this file only loads the build.
import { main } from '../dist/index.js';

// `scylla-cp logs <job> | head`: a closed pipe ends the output quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error && error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`scylla-cp: internal error: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
