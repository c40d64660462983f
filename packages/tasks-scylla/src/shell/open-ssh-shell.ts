import { RecoverableError } from '@scylla-cp/core';
import type { NodeShell, ShellResult, ShellRunOptions } from './node-shell.js';
import { runProcess } from './run-process.js';
import { shellJoin } from './shell-quote.js';

/** Options of an {@link OpenSshShell}. Unset options are left to the operator's ssh config. */
export interface OpenSshShellOptions {
  /** Host to connect to (the node's address, or a Host alias of ~/.ssh/config). */
  host: string;
  /** Remote user (`-l`). @default ssh's choice (config or local user) */
  user?: string;
  /** Remote port (`-p`). @default ssh's choice (config or 22) */
  port?: number;
  /** Private key file (`-i`); agent keys and config keys are still offered. */
  identityFile?: string;
  /** Jump host(s) (`-J`, e.g. `bastion.example.com` or `user@bastion:2222`). */
  proxyJump?: string;
  /** Seconds to establish the connection (`-o ConnectTimeout=`). @default 10 */
  connectTimeoutSeconds?: number;
  /** Extra `-o Key=Value` options, e.g. `{ StrictHostKeyChecking: 'accept-new' }`. @default {} */
  options?: Record<string, string | number | boolean>;
  /** Path of the ssh client. @default 'ssh' */
  sshPath?: string;
  /** ssh config file (`-F`). @default ssh's default (~/.ssh/config) */
  configFile?: string;
}

const OPTION_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Runs commands on a node through the system OpenSSH client, so the operator's ssh config,
 * agent, known_hosts and jump hosts all apply.
 *
 * Invocation: `ssh -T -o BatchMode=yes -o ConnectTimeout=<s> [-F cfg] [-l user] [-p port]
 * [-i key] [-J jump] [-o K=V ...] -- <host> <command line>`. BatchMode makes ssh fail instead of
 * prompting for a password or a host key. ssh joins the remote arguments into one command line
 * for the remote login shell, so each element of `argv` is quoted with POSIX single quotes
 * ({@link shellJoin}): no argument can inject a command. The remote login shell must be a POSIX
 * shell (sh, bash, dash, zsh, ksh).
 *
 * Errors: exit status 255 (ssh's own failure: connection refused, authentication, host key) →
 * `RecoverableError` code `SHELL_CONNECTION_FAILED` (a remote command that itself exits 255 is
 * indistinguishable and treated the same); timeout → the ssh process is killed (SIGTERM, then
 * SIGKILL) and `RecoverableError` code `SHELL_TIMEOUT` is thrown (the remote command, having no
 * terminal, may keep running until it next writes); a missing ssh binary → `UnrecoverableError`
 * code `SHELL_SPAWN_FAILED`. Any other exit code is returned in the result.
 */
export class OpenSshShell implements NodeShell {
  readonly options: Readonly<OpenSshShellOptions>;

  constructor(options: OpenSshShellOptions) {
    if (!options.host || options.host.startsWith('-')) throw new TypeError(`invalid ssh host ${JSON.stringify(options.host)}`);
    for (const k of Object.keys(options.options ?? {})) {
      if (!OPTION_NAME.test(k)) throw new TypeError(`invalid ssh option name ${JSON.stringify(k)}`);
    }
    this.options = Object.freeze({ ...options });
  }

  /** The ssh arguments that run `argv` (exposed for tests and `--dry-run` displays). */
  sshArgs(argv: readonly string[]): string[] {
    const o = this.options;
    const args = ['-T', '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.ceil(o.connectTimeoutSeconds ?? 10))}`];
    if (o.configFile) args.push('-F', o.configFile);
    if (o.user) args.push('-l', o.user);
    if (o.port !== undefined) args.push('-p', String(o.port));
    if (o.identityFile) args.push('-i', o.identityFile);
    if (o.proxyJump) args.push('-J', o.proxyJump);
    for (const [k, v] of Object.entries(o.options ?? {})) {
      const value = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
      args.push('-o', `${k}=${value}`);
    }
    args.push('--', o.host, shellJoin(argv));
    return args;
  }

  async run(argv: readonly string[], options: ShellRunOptions = {}): Promise<ShellResult> {
    const label = `ssh ${this.options.host}: ${argv.join(' ')}`;
    const result = await runProcess({ file: this.options.sshPath ?? 'ssh', args: this.sshArgs(argv), label }, options);
    if (result.exitCode === 255) {
      throw new RecoverableError(`${label}: ssh failed (exit 255): ${result.stderr.trim().slice(-1000) || 'no message'}`, {
        code: 'SHELL_CONNECTION_FAILED',
        details: { host: this.options.host, stderr: result.stderr.slice(-2000) },
      });
    }
    return result;
  }
}
