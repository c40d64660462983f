import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (tsx resolves `@scylla-cp/*` to sources through its tsconfig paths). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Path of a script in this directory. */
export function childScript(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `node --import tsx <script> ...args` from the repository root. */
export function startChild(script: string, args: string[], options: SpawnOptions = {}) {
  return track(
    spawn(process.execPath, ['--import', 'tsx', childScript(script), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: `${REPO_ROOT}tsconfig.json` },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    }),
  );
}

function track(child: ChildProcess) {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

/**
 * Bundles a child script (and the sources it imports, `@scylla-cp/*` resolved through
 * the repository's tsconfig paths) into one ESM file beside the tests, so that a child
 * starts in a fraction of a second: loading kysely, zod and core module by module through
 * tsx costs about two seconds per process on a busy 2-core machine, and the kill test
 * starts some sixty of them. better-sqlite3 (native) stays external.
 * Returns the bundle's path; remove it when done.
 */
export async function bundleChild(script: string): Promise<string> {
  const { build } = await import('esbuild');
  const dir = fileURLToPath(new URL('../.vitest-tmp/', import.meta.url));
  const outfile = `${dir}${script.replace(/\.ts$/, '')}-${process.pid}.mjs`;
  await build({
    entryPoints: [childScript(script)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: ['better-sqlite3'],
    tsconfig: `${REPO_ROOT}tsconfig.json`,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return outfile;
}

/** Starts `node <bundle> ...args`. */
export function startBundle(bundle: string, args: string[], options: SpawnOptions = {}) {
  return track(spawn(process.execPath, [bundle, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}
