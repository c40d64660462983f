import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root (tsx and esbuild resolve `@scylla-cp/*` to sources through its tsconfig paths). */
export const REPO_ROOT: string = fileURLToPath(new URL('../../../../', import.meta.url));

/** What a finished child reported. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A started child: the process, its end, and its output so far. */
export interface StartedChild {
  child: ChildProcess;
  done: Promise<ChildResult>;
  output: () => { stdout: string; stderr: string };
}

/** Starts `node --import tsx <script> ...args` (script: an absolute path) from the repository root. */
export function startScript(script: string, args: string[], options: SpawnOptions = {}): StartedChild {
  return track(
    spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TSX_TSCONFIG_PATH: `${REPO_ROOT}tsconfig.json` },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    }),
  );
}

function track(child: ChildProcess): StartedChild {
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
 * Bundles a child script (an absolute path) and the sources it imports
 * (`@scylla-cp/*` resolved through the repository's tsconfig paths) into one ESM
 * file in `outDir`, so that a child starts in a fraction of a second: loading
 * kysely, zod and core module by module through tsx costs about two seconds
 * per process on a busy 2-core machine, and a kill test starts dozens.
 * `external` modules stay out of the bundle (native ones: `better-sqlite3`).
 * Returns the bundle's path; remove it when done.
 */
export async function bundleScript(script: string, outDir: string, external: string[] = []): Promise<string> {
  const { build } = await import('esbuild');
  fs.mkdirSync(outDir, { recursive: true });
  const base = script.split('/').pop()!.replace(/\.ts$/, '');
  const outfile = `${outDir.replace(/\/$/, '')}/${base}-${process.pid}.mjs`;
  await build({
    entryPoints: [script],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: ['esbuild', ...external],
    tsconfig: `${REPO_ROOT}tsconfig.json`,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return outfile;
}

/** Starts `node <bundle> ...args`. */
export function startBundle(bundle: string, args: string[], options: SpawnOptions = {}): StartedChild {
  return track(spawn(process.execPath, [bundle, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

/** Resolves once `get()` (a child's stdout) holds the line `line`; false if `exited` settles first. */
export function waitForLine(get: () => string, line: string, exited: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    let finished = false;
    void exited.then(() => (finished = true));
    const poll = () => {
      if (get().split('\n').includes(line)) return resolve(true);
      if (finished) return resolve(false);
      setTimeout(poll, 2);
    };
    poll();
  });
}
