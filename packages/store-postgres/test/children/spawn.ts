// store-postgres's children, started through the shared harness (@scylla-cp/store-sql/test-support).
import type { SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleScript, startScript, type StartedChild } from '@scylla-cp/store-sql/test-support';

/** Path of a script in this directory. */
export function childScript(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Starts `node --import tsx <script> ...args` for a script of this directory. */
export function startChild(script: string, args: string[], options: SpawnOptions = {}): StartedChild {
  return startScript(childScript(script), args, options);
}

/** Bundles a script of this directory (pg's optional native binding stays out); remove the returned file when done. */
export function bundleChild(script: string): Promise<string> {
  return bundleScript(childScript(script), fileURLToPath(new URL('../.vitest-tmp/', import.meta.url)), ['pg-native']);
}
