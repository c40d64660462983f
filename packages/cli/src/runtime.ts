import fs from 'node:fs';
import path from 'node:path';
import { corePlugin, InvalidInputError, PluginRegistry, type JobStore, type ScyllaCpPlugin } from '@scylla-cp/core';
import { prometheusPlugin } from '@scylla-cp/conditions';
import { simShellOverride } from '@scylla-cp/sim';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import type { CliConfig } from './config-file.js';
import { createFolders } from './create-folders.js';
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
 * Opens (creating the folder and file if needed) the SQLite job store. A path
 * that is a folder, or a file that is not a job store, is an `InvalidInputError`
 * naming the path and where it came from (`flag`, e.g. `--db`).
 */
export async function openStore(dbPath: string, flag = 'the job store'): Promise<JobStore> {
  if (fs.existsSync(dbPath) && fs.statSync(dbPath).isDirectory()) {
    throw new InvalidInputError(`${flag}: ${dbPath} is a directory; give the path of a SQLite file (it is created if missing)`, { code: 'BAD_DB_PATH' });
  }
  createFolders(path.dirname(dbPath), { label: flag, target: dbPath, code: 'BAD_DB_PATH' });
  try {
    return await SqliteStore.open(dbPath);
  } catch (e) {
    throw new InvalidInputError(`${flag}: ${dbPath} cannot be opened as a scylla-cp job store: ${(e as Error).message}`, { code: 'BAD_DB_PATH', cause: e });
  }
}
