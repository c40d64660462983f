import { defineService, type ServiceContext } from '@scylla-cp/core';

/** Options of one {@link NodeShell.run} call. */
export interface ShellRunOptions {
  /** Kill the command after this many seconds. @default 300 */
  timeoutSeconds?: number;
  /** Bytes of stdout (and separately stderr) kept; the rest is dropped and `truncated` set. @default 1048576 (1 MiB) */
  maxOutputBytes?: number;
  /** Text written to the command's stdin. */
  stdin?: string | Uint8Array;
  /** Aborts (kills) the command. */
  signal?: AbortSignal;
}

/** The result of a command that ran to completion (any exit code). */
export interface ShellResult {
  /** The process exit code; `null` when killed by a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Output beyond `maxOutputBytes` was dropped. */
  truncated: boolean;
}

/**
 * Runs commands on one node. `argv` is a program and its arguments: every
 * element is passed as one argument, quoted so that no argument can inject a
 * command (no shell interpretation of metacharacters).
 *
 * Implementations: `OpenSshShell` (system `ssh`), `LocalShell`, and the
 * simulator's shell. Connection failures throw `RecoverableError`; a timeout
 * throws `RecoverableError` with code `SHELL_TIMEOUT` after killing the process.
 */
export interface NodeShell {
  run(argv: readonly string[], options?: ShellRunOptions): Promise<ShellResult>;
}

/** The service key of the node shell. */
export const NodeShellService = defineService<NodeShell>('node-shell', 'command runner for the node (ssh, local or simulated)');

/** The node shell of a node execution context: `await nodeShell(ctx).run(['systemctl', 'restart', 'scylla-server'])`. */
export const nodeShell = (ctx: ServiceContext): NodeShell => ctx.services.get(NodeShellService);
