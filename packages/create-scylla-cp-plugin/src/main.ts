import path from 'node:path';
import { parseArgs } from 'node:util';
import { ScaffoldError, scaffoldPlugin } from './scaffold-plugin.js';

const USAGE = `usage: npm create scylla-cp-plugin@latest <directory> [-- --name <package-name>]
       create-scylla-cp-plugin <directory> [--name <package-name>]

Creates a scylla-cp task plugin package in <directory> (the package name defaults to its base name).`;

/** Output streams of {@link main}. */
export interface MainIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  cwd: string;
}

/**
 * The `create-scylla-cp-plugin` command. Returns the exit code: 0 done, 2 bad arguments, a bad
 * name or a non-empty folder (the message says which and how to fix it).
 */
export async function main(argv: string[], io: MainIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    io.stderr.write(`create-scylla-cp-plugin: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [directory, ...extra] = parsed.positionals;
  if (!directory || extra.length > 0) {
    io.stderr.write(`create-scylla-cp-plugin: ${directory ? `unexpected arguments: ${extra.join(' ')}` : 'the directory is missing'}\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = scaffoldPlugin({ directory, cwd: io.cwd, ...(parsed.values.name ? { name: parsed.values.name } : {}) });
    const rel = path.relative(io.cwd, result.directory) || '.';
    io.stdout.write(
      `created ${result.name} in ${rel}: ${result.files.length} files\n\n` +
        `next:\n  cd ${rel}\n  npm install\n  npm run build\n  npm test\n  npm publish\n\n` +
        `then in your ops repository:\n  npm i -D @scylla-cp/cli ${result.name}\n  echo '{ "plugins": ["${result.name}"] }' > scylla-cp.config.json\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof ScaffoldError) {
      io.stderr.write(`create-scylla-cp-plugin: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
