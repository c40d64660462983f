import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '@scylla-cp/core';
import type { CliErrorCode } from './errors/error-codes.js';

/**
 * Creates `dir` and its missing parents one at a time (not `mkdirSync`'s
 * `recursive`, which spins forever on a folder the kernel refuses, such as one
 * under /proc).
 * @param o.label where the path came from, e.g. `--db` or `$SCYLLA_CP_HOME`
 * @param o.target what the folder is for (the file or folder to be made in it)
 * @throws InvalidInputError with `o.code`, naming the part of the path in the
 *   way (a file where a folder should be, or a folder that cannot be made)
 */
export function createFolders(dir: string, o: { label: string; target: string; code: CliErrorCode }): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  if (fs.existsSync(d) && !fs.statSync(d).isDirectory()) {
    throw new InvalidInputError(`${o.label}: cannot create the folder of ${o.target}: ${d} is a file, not a folder; give another path`, { code: o.code });
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if (fs.existsSync(m) && fs.statSync(m).isDirectory()) continue; // made meanwhile by another process
      const why = (e as { code?: string }).code ?? (e as Error).message;
      throw new InvalidInputError(`${o.label}: cannot create the folder ${m} for ${o.target} (${why}); create it yourself, or give another path`, { code: o.code });
    }
  }
}
