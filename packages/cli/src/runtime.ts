import fs from 'node:fs';
import path from 'node:path';
import { corePlugin, InvalidInputError, PluginRegistry, type JobStore, type ScyllaCpPlugin } from '@scylla-cp/core';
import { prometheusPlugin } from '@scylla-cp/conditions';
import { simShellOverride } from '@scylla-cp/sim';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import type { CliConfig } from './config-file.js';
import { loadPlugins } from './plugin-loader.js';

/** The plugins every `scylla-cp` has: core's, the Scylla tasks and conditions, and Prometheus conditions. */
export const BUILTIN_PLUGINS: readonly ScyllaCpPlugin[] = [corePlugin, scyllaPlugin, prometheusPlugin];

/**
 * The registry the CLI parses and runs workflows with: built-in plugins, then
 * the config's plugins (a duplicate tag or plugin is a `PluginError` naming
 * both), and the simulator's node shell for inventories whose nodes say
 * `connection.shell.kind: sim`.
 */
export async function buildRegistry(config: CliConfig, cwd: string): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  registry.register(...BUILTIN_PLUGINS);
  const baseDir = config.file ? path.dirname(config.file) : cwd;
  registry.register(...(await loadPlugins(config.plugins, baseDir)));
  simShellOverride(registry);
  return registry;
}

/**
 * Creates `dir` and its missing parents one at a time (not `mkdirSync`'s
 * `recursive`, which spins forever on a folder the kernel refuses, such as one
 * under /proc). An `InvalidInputError` names the part of the path in the way.
 */
function createFolders(dir: string, dbPath: string, flag: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  if (fs.existsSync(d) && !fs.statSync(d).isDirectory()) {
    throw new InvalidInputError(`${flag}: cannot create the folder of ${dbPath}: ${d} is a file, not a folder; give another path`, { code: 'BAD_DB_PATH' });
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if (fs.existsSync(m) && fs.statSync(m).isDirectory()) continue; // made meanwhile by another process
      const code = (e as { code?: string }).code ?? (e as Error).message;
      throw new InvalidInputError(`${flag}: cannot create the folder ${m} for ${dbPath} (${code}); create it yourself, or give another path`, { code: 'BAD_DB_PATH' });
    }
  }
}

/**
 * Opens (creating the folder and file if needed) the SQLite job store. A path
 * that is a folder, or a file that is not a job store, is an `InvalidInputError`
 * naming the path and where it came from (`flag`, e.g. `--db`).
 */
export async function openStore(dbPath: string, flag = 'the job store'): Promise<JobStore> {
  if (fs.existsSync(dbPath) && fs.statSync(dbPath).isDirectory()) {
    throw new InvalidInputError(`${flag}: ${dbPath} is a directory; give the path of a SQLite file (it is created if missing)`, { code: 'BAD_DB_PATH' });
  }
  createFolders(path.dirname(dbPath), dbPath, flag);
  try {
    return await SqliteStore.open(dbPath);
  } catch (e) {
    throw new InvalidInputError(`${flag}: ${dbPath} cannot be opened as a scylla-cp job store: ${(e as Error).message}`, { code: 'BAD_DB_PATH', cause: e });
  }
}
