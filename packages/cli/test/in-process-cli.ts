// The CLI run in the test's own process (`main(argv, io)`) with captured output: for tests that
// need no separate process (no signals, no TTY), and are faster that way.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../src/cli-io.js';
import { main } from '../src/main.js';

/** A `CliIo` whose output is captured, and whose Ctrl-C is `interrupt()`. */
export interface CapturedIo {
  io: CliIo;
  out(): string;
  err(): string;
  /** Calls the registered SIGINT handlers, as one Ctrl-C would. */
  interrupt(): void;
}

/** A {@link CapturedIo} working in `cwd` with exactly `env` as its environment. */
export function captureIo(cwd: string, env: NodeJS.ProcessEnv): CapturedIo {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const handlers = new Set<() => void>();
  const io: CliIo = {
    stdout,
    stderr,
    env,
    cwd,
    onInterrupt(h) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
  };
  return { io, out: () => out, err: () => err, interrupt: () => [...handlers].forEach((h) => h()) };
}

/** An environment whose home, state and job store (`<dir>/jobs.db`) are in `dir`, operator `tester`, plain output (`CI`). */
export function homeEnv(dir: string): NodeJS.ProcessEnv {
  return { HOME: dir, SCYLLA_CP_HOME: dir, SCYLLA_CP_DB: path.join(dir, 'jobs.db'), SCYLLA_CP_OPERATOR: 'tester', CI: 'true' };
}

/** Runs `scylla-cp <args>` in process, in `dir` with {@link homeEnv}`(dir)`, to its end. */
export async function cliIn(dir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const t = captureIo(dir, homeEnv(dir));
  const code = await main(args, t.io);
  return { code, out: t.out(), err: t.err() };
}
