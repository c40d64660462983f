import { spawn } from 'node:child_process';
import { RecoverableError, UnrecoverableError } from '@scylla-cp/core';
import type { ShellResult, ShellRunOptions } from './node-shell.js';

/** Default of {@link ShellRunOptions.timeoutSeconds}. */
export const DEFAULT_SHELL_TIMEOUT_SECONDS = 300;
/** Default of {@link ShellRunOptions.maxOutputBytes}: 1 MiB. */
export const DEFAULT_SHELL_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Milliseconds between SIGTERM and SIGKILL when a command is killed. */
const KILL_GRACE_MS = 2000;

/** What {@link runProcess} needs besides the run options. */
export interface ProcessSpec {
  /** Executable (looked up on PATH). */
  file: string;
  /** Its arguments, passed without any shell. */
  args: readonly string[];
  /** For messages: what is being run, e.g. `ssh node1: systemctl stop scylla-server`. */
  label: string;
  /** Spawn failure `ENOENT` becomes exit code 127 (as a shell's "command not found") instead of an error. */
  enoentAsExit127?: boolean;
}

class Capture {
  readonly chunks: Buffer[] = [];
  size = 0;
  truncated = false;
  constructor(readonly max: number) {}
  push(chunk: Buffer): void {
    const room = this.max - this.size;
    if (chunk.length > room) {
      this.truncated = true;
      if (room > 0) {
        this.chunks.push(chunk.subarray(0, room));
        this.size += room;
      }
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Spawns a process without a shell, feeds `stdin`, captures stdout and stderr (each up to
 * `maxOutputBytes`, the rest dropped and `truncated` set), and resolves with its exit status.
 * On timeout the process gets SIGTERM, then SIGKILL 2 s later, and the call rejects with a
 * `RecoverableError` of code `SHELL_TIMEOUT`. On abort it is killed the same way and the
 * signal's reason is thrown. A spawn failure (missing executable) is an `UnrecoverableError`
 * with code `SHELL_SPAWN_FAILED` (or exit code 127 with `enoentAsExit127`).
 *
 * The timeout is wall-clock time (a real process runs in real time), not the injected `Clock`.
 */
export function runProcess(spec: ProcessSpec, options: ShellRunOptions = {}): Promise<ShellResult> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_SHELL_TIMEOUT_SECONDS;
  const maxBytes = options.maxOutputBytes ?? DEFAULT_SHELL_MAX_OUTPUT_BYTES;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new RangeError(`timeoutSeconds must be > 0, got ${timeoutSeconds}`);
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxOutputBytes must be an integer >= 0, got ${maxBytes}`);
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<ShellResult>((resolve, reject) => {
    const child = spawn(spec.file, [...spec.args], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out = new Capture(maxBytes);
    const err = new Capture(maxBytes);
    let settled = false;
    let killReason: 'timeout' | 'abort' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (why: 'timeout' | 'abort') => {
      if (killReason) return;
      killReason = why;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => kill('timeout'), timeoutSeconds * 1000);
    const onAbort = () => kill('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      // the command exited without reading all of stdin (EPIPE): its exit status tells the story
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(() => {
        if (e.code === 'ENOENT' && spec.enoentAsExit127) {
          resolve({ exitCode: 127, stdout: '', stderr: `${spec.file}: command not found\n`, truncated: false });
          return;
        }
        reject(
          new UnrecoverableError(`cannot run ${spec.label}: ${e.message}; is ${spec.file} installed and on PATH?`, {
            code: 'SHELL_SPAWN_FAILED',
            cause: e,
          }),
        );
      });
    });
    child.on('close', (code) => {
      finish(() => {
        if (killReason === 'timeout') {
          reject(
            new RecoverableError(`${spec.label}: no exit after ${timeoutSeconds}s; killed it`, {
              code: 'SHELL_TIMEOUT',
              details: { stdout: out.text().slice(-2000), stderr: err.text().slice(-2000) },
            }),
          );
          return;
        }
        if (killReason === 'abort') {
          reject(signal?.reason);
          return;
        }
        resolve({ exitCode: code, stdout: out.text(), stderr: err.text(), truncated: out.truncated || err.truncated });
      });
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
