import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TokenEntry } from '../src/index.js';
import { sourcesPlugin } from './cli-replica-harness.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Bundles the replica child (`children/replica.ts` and the sources it imports, `@scylla-cp/*`
 * resolved through the repository's tsconfig paths) into one ESM file, so that each replica
 * starts in well under a second; node_modules packages stay external. Returns its path.
 */
export async function bundleReplica(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = fileURLToPath(new URL('../.vitest-tmp/', import.meta.url));
  fs.mkdirSync(dir, { recursive: true });
  const outfile = `${dir}replica-${process.pid}-${Math.floor(performance.now())}.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL('./children/replica.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    plugins: [sourcesPlugin()],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return outfile;
}

/** A running replica process. */
export interface Replica {
  child: ChildProcess;
  pid: number;
  url: string;
  holder: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Options of {@link startReplica}. */
export interface ReplicaOptions {
  bundle: string;
  /** `sqlite:<path>` or `postgres:<url>`. */
  store: string;
  witnessFile: string;
  leaseTtlSeconds: number;
  tokens: TokenEntry[];
}

/** Starts a replica and waits until it serves. */
export function startReplica(o: ReplicaOptions): Promise<Replica> {
  const child = spawn(process.execPath, [o.bundle, o.store, o.witnessFile, String(o.leaseTtlSeconds), JSON.stringify(o.tokens)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+) (\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (x: Buffer) => (out += x.toString()));
        resolve({ child, pid: child.pid!, url: m[1]!, holder: m[2]!, exited, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(({ code, signal }) => reject(new Error(`replica exited (${code ?? signal}) before serving:\n${out}`)));
  });
}

/** SIGKILLs a replica and waits for its exit. */
export async function killReplica(r: Replica): Promise<void> {
  r.child.kill('SIGKILL');
  await r.exited;
}

/** One line of the witness file. */
export interface WitnessLine {
  t: number;
  pid: number;
  kind: 'begin' | 'end' | 'job' | 'killed';
  jobId?: string;
  cluster?: string;
  stepId?: string;
  outcome?: string;
  state?: string;
  reason?: string;
}

/** Appends a `killed` line for `pid` (after its exit: it operates nothing from then on). */
export function witnessKill(file: string, pid: number): void {
  fs.appendFileSync(file, `${JSON.stringify({ t: performance.timeOrigin + performance.now(), pid, kind: 'killed' })}\n`);
}

/** Reads the witness file. */
export function readWitness(file: string): WitnessLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WitnessLine);
}

/**
 * Replays the witness in file order and returns every moment at which a
 * runner began an attempt on a cluster while another live runner had an
 * attempt open on the same cluster (empty when the property holds).
 */
export function concurrentOperators(lines: readonly WitnessLine[]): string[] {
  const open = new Map<string, Map<number, Set<string>>>(); // cluster -> pid -> open step keys
  const dead = new Set<number>();
  const violations: string[] = [];
  for (const l of lines) {
    if (l.kind === 'killed') {
      dead.add(l.pid);
      for (const byPid of open.values()) byPid.delete(l.pid);
      continue;
    }
    if ((l.kind !== 'begin' && l.kind !== 'end') || !l.cluster) continue;
    const byPid = open.get(l.cluster) ?? new Map<number, Set<string>>();
    open.set(l.cluster, byPid);
    const key = `${l.jobId}/${l.stepId}`;
    if (l.kind === 'begin') {
      for (const [pid, steps] of byPid) {
        if (pid !== l.pid && steps.size > 0 && !dead.has(pid)) {
          violations.push(`cluster ${l.cluster}: pid ${l.pid} began ${key} while pid ${pid} had ${[...steps].join(', ')} open`);
        }
      }
      const mine = byPid.get(l.pid) ?? new Set<string>();
      mine.add(key);
      byPid.set(l.pid, mine);
    } else {
      byPid.get(l.pid)?.delete(key);
    }
  }
  return violations;
}
