import { spawn, type ChildProcess } from 'node:child_process';

/** The result of {@link run}. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for npm and the tools it starts: this process's, without every `npm_*`
 * variable that an outer `npm test` exported (they would override the temporary `.npmrc`), with
 * `extra` added.
 */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_OPTIONS' || k === 'INIT_CWD' || k.startsWith('VITEST') || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Runs a command (argv, no shell) and resolves with its output; rejects with the command, its
 * exit code and both streams when it exits non-zero (unless `allowFailure`) or runs over `timeoutMs`.
 */
export function run(
  argv: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean; input?: string },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(o.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`${argv.join(' ')}\` in ${o.cwd} ran over ${o.timeoutMs} ms\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
    }, o.timeoutMs ?? 240_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !o.allowFailure) {
        reject(new Error(`\`${argv.join(' ')}\` in ${o.cwd} exited ${code}\n--- stdout\n${stdout.slice(-6000)}\n--- stderr\n${stderr.slice(-6000)}`));
      } else resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running command in a process group of its own (as a shell's `&` job);
 * `output()` gives what it printed so far, `interrupt()` sends SIGINT to the whole group, as
 * Ctrl-C in a terminal does, and `kill()` SIGKILLs the group.
 */
export function startBackground(
  argv: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv },
): { child: ChildProcess; output: () => string; interrupt: () => void; kill: () => void } {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, interrupt: () => signalGroup('SIGINT'), kill: () => signalGroup('SIGKILL') };
}
