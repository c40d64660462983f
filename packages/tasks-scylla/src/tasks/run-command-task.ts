import { RecoverableError, UnrecoverableError, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { z } from 'zod';
import { nodeShell } from '../shell/node-shell.js';

/** Parameters of `!run-command`. */
export const runCommandParams = z
  .object({
    /** The program and its arguments; each element is one argument (never interpreted by a shell). */
    argv: z.array(z.string()).min(1, 'argv needs at least the program name'),
    /** Exit codes that mean success. @default [0] */
    ok_exit_codes: z.array(z.number().int()).min(1).default([0]),
    /**
     * The command ends the connection (e.g. a reboot): an ssh exit 255 or a
     * dropped connection counts as success. @default false
     */
    expect_disconnect: z.boolean().default(false),
    /** Bytes of output kept. @default 1048576 */
    max_output_bytes: z.number().int().positive().default(1024 * 1024),
  })
  .strict();

/** Validated parameters of `!run-command`. */
export type RunCommandParams = z.output<typeof runCommandParams>;

/**
 * `!run-command {argv, ok_exit_codes?, expect_disconnect?}`: runs one command on the node
 * through its node shell (ssh on real clusters). For OS upgrades and other
 * host-level work that has no dedicated task.
 *
 * Preconditions: none of its own (put `!wait-for-conditions` before it).
 * Idempotency: only as idempotent as the command; give one that is safe to
 * run twice (`apt-get -y dist-upgrade` is; `systemctl reboot` reboots again,
 * which is harmless but slow), because an interrupted step is attempted again
 * on resume.
 * Errors: a connection failure or a shell timeout is recoverable; an exit
 * code outside `ok_exit_codes` is unrecoverable (a human should read its
 * stderr, which the error carries).
 */
export class RunCommandTask implements ExecuteNodeTask {
  constructor(private readonly params: RunCommandParams) {}

  name(): string {
    return 'run-command';
  }

  preconditions() {
    return [];
  }

  async execute(ctx: NodeExecutionContext): Promise<{ exitCode: number | null; stdoutTail: string }> {
    const { argv, ok_exit_codes, expect_disconnect, max_output_bytes } = this.params;
    let result;
    try {
      result = await nodeShell(ctx).run(argv, { signal: ctx.signal, maxOutputBytes: max_output_bytes });
    } catch (e) {
      if (expect_disconnect && e instanceof RecoverableError && e.code !== 'SHELL_TIMEOUT') {
        ctx.logger.info(`${argv[0]}: connection dropped as expected`);
        return { exitCode: null, stdoutTail: '' };
      }
      throw e;
    }
    const tail = (s: string) => (s.length > 2000 ? `…${s.slice(-2000)}` : s);
    if (result.exitCode !== null && ok_exit_codes.includes(result.exitCode)) {
      return { exitCode: result.exitCode, stdoutTail: tail(result.stdout) };
    }
    if (expect_disconnect && (result.exitCode === 255 || result.exitCode === null)) {
      ctx.logger.info(`${argv[0]}: connection dropped as expected (exit ${result.exitCode})`);
      return { exitCode: result.exitCode, stdoutTail: tail(result.stdout) };
    }
    throw new UnrecoverableError(`command ${JSON.stringify(argv)} on ${ctx.node.id} exited ${result.exitCode ?? 'by signal'}; stderr: ${tail(result.stderr).trim() || '(empty)'}`, {
      code: 'COMMAND_FAILED',
      details: { argv, exitCode: result.exitCode, stderr: tail(result.stderr) },
    });
  }
}
