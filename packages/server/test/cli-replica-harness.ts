// The real `scylla-cp server` command as replicas: the CLI's own bin file
// (packages/cli/bin/scylla-cp.js) bundled from the sources (its `../dist/index.js` resolved to
// packages/cli/src/index.ts, `@scylla-cp/*` through the repository's tsconfig paths), so each
// replica starts fast and runs exactly what `scylla-cp server start` runs, without a build.
// Also: the check that no cluster was operated by two live runners at once, from the job store's
// own record (what each run recorded, under which holder, when) and the kill times.
import { spawn, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '@scylla-cp/core';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Marks the plugin's own `resolve` calls (esbuild's resolver answers them). */
const INNER = Symbol('inner');

/** `@scylla-cp/*` module names to source files, from the root tsconfig's `paths`. */
function sourcePaths(): Map<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.json'), 'utf8');
  const paths = (JSON.parse(text) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
  return new Map(Object.entries(paths).map(([name, [file]]) => [name, path.join(REPO_ROOT, file!)]));
}

/**
 * An esbuild plugin that bundles the repository's packages from their sources: `@scylla-cp/*`
 * (subpaths included) through the root tsconfig's `paths`, files in `redirect` (absolute path
 * to absolute path) to others; node_modules packages stay external, at the file their importer
 * would load (packages/cli has its own commander, not the root's), imported by path.
 */
export function sourcesPlugin(redirect: Record<string, string> = {}): import('esbuild').Plugin {
  const sources = sourcePaths();
  return {
    name: 'scylla-cp-sources',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === INNER) return undefined;
        const target = args.path.startsWith('.') ? redirect[path.resolve(args.resolveDir, args.path)] : undefined;
        if (target) return { path: target };
        const source = sources.get(args.path);
        if (source) return { path: source };
        if (args.path.startsWith('.') || path.isAbsolute(args.path)) return undefined;
        if (args.path.startsWith('@scylla-cp/')) throw new Error(`${args.path} (imported by ${args.importer}) has no entry in tsconfig.json's paths`);
        if (args.path.startsWith('node:') || builtinModules.includes(args.path.split('/')[0]!)) return { path: args.path, external: true };
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: INNER });
        if (r.errors.length > 0) return { errors: r.errors };
        return { path: r.path, external: true };
      });
    },
  };
}

/**
 * Bundles `packages/cli/bin/scylla-cp.js` with the CLI's sources into one ESM file (node_modules
 * packages stay external). Returns its path; `node <path> <args>` is `scylla-cp <args>`.
 */
export async function bundleCli(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = fileURLToPath(new URL('../.vitest-tmp/', import.meta.url));
  fs.mkdirSync(dir, { recursive: true });
  const outfile = `${dir}scylla-cp-${process.pid}-${Math.floor(performance.now())}.mjs`;
  await build({
    entryPoints: [path.join(REPO_ROOT, 'packages/cli/bin/scylla-cp.js')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [sourcesPlugin({ [path.join(REPO_ROOT, 'packages/cli/dist/index.js')]: path.join(REPO_ROOT, 'packages/cli/src/index.ts') })],
  });
  return outfile;
}

/** Runs the bundled CLI to completion. */
export function runCli(bundle: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bundle, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A running `scylla-cp server start` process. */
export interface CliReplica {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Its runner's lease holder name (from the line it prints once it serves). */
  holder: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Options of {@link startCliReplica}. */
export interface CliReplicaOptions {
  bundle: string;
  /** `--db`: a `postgres://` URL (or a SQLite path). */
  db: string;
  tokensFile: string;
  leaseTtlSeconds: number;
  /** The CLI's environment (`SCYLLA_CP_HOME`, ...). */
  env: NodeJS.ProcessEnv;
}

/** Starts `scylla-cp --db <db> server start --listen 127.0.0.1:0 ...` and waits until it serves. */
export function startCliReplica(o: CliReplicaOptions): Promise<CliReplica> {
  const args = ['--db', o.db, 'server', 'start', '--listen', '127.0.0.1:0', '--tokens', o.tokensFile, '--lease-ttl', String(o.leaseTtlSeconds)];
  const child = spawn(process.execPath, [o.bundle, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let served = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+) \(runner (\S+?),/.exec(out);
      if (m && !served) {
        served = true;
        resolve({ child, pid: child.pid!, url: m[1]!, holder: m[2]!, exited, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(({ code, signal }) => {
      if (!served) reject(new Error(`scylla-cp server exited (${code ?? signal}) before serving:\n${out}`));
    });
  });
}

/** SIGKILLs a replica, waits for its exit, and returns the time it was dead by (ms since epoch). */
export async function killCliReplica(r: CliReplica): Promise<number> {
  r.child.kill('SIGKILL');
  await r.exited;
  return Date.now();
}

/** One job's stored record, as {@link overlappingOperators} reads it. */
export interface JobLog {
  jobId: string;
  cluster: string;
  events: readonly StoredEvent[];
}

/**
 * From the job store's record: the intervals in which each runner (lease holder) had an attempt
 * open on a cluster (a `step.started`/`step.attempt` event to the step's `step.succeeded`,
 * `step.failed` or `step.retry`; the holder is the one of the run's `job.started`/`job.resumed`
 * event), an attempt left open by a killed runner ending at its kill. Returns every pair of
 * intervals of two holders on one cluster that overlap in time (empty when the property holds).
 */
export function overlappingOperators(jobs: readonly JobLog[], killedAt: ReadonlyMap<string, number>): string[] {
  interface Interval {
    holder: string;
    key: string;
    from: number;
    to: number;
  }
  const byCluster = new Map<string, Interval[]>();
  for (const job of jobs) {
    const list = byCluster.get(job.cluster) ?? [];
    byCluster.set(job.cluster, list);
    let holder = '';
    const open = new Map<string, Interval>();
    const close = (stepId: string, at: number) => {
      const iv = open.get(stepId);
      if (!iv) return;
      open.delete(stepId);
      iv.to = at;
      list.push(iv);
    };
    for (const e of [...job.events].sort((a, b) => a.seq - b.seq)) {
      if (e.type === 'job.started' || e.type === 'job.resumed') {
        // A new run: whatever the previous runner left open ended at its death (never, if it was not killed).
        for (const [stepId, iv] of [...open]) close(stepId, killedAt.get(iv.holder) ?? Infinity);
        holder = String(e.data['holder']);
      } else if ((e.type === 'step.started' || e.type === 'step.attempt') && e.stepId) {
        open.set(e.stepId, { holder, key: `${job.jobId}/${e.stepId}`, from: e.at, to: Infinity });
      } else if ((e.type === 'step.succeeded' || e.type === 'step.failed' || e.type === 'step.retry') && e.stepId) {
        close(e.stepId, e.at);
      }
    }
    for (const [stepId, iv] of [...open]) close(stepId, killedAt.get(iv.holder) ?? Infinity);
  }
  const violations: string[] = [];
  for (const [cluster, list] of byCluster) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.holder !== b.holder && a.from < b.to && b.from < a.to) {
          violations.push(`cluster ${cluster}: ${a.holder} had ${a.key} open [${a.from}, ${a.to}] while ${b.holder} had ${b.key} open [${b.from}, ${b.to}]`);
        }
      }
    }
  }
  return violations;
}
