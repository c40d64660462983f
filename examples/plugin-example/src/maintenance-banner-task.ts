import { UnrecoverableError, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { nodeShell } from '@scylla-cp/tasks-scylla';
import { z } from 'zod';

/** Parameters of `!maintenance-banner`. */
export const maintenanceBannerParams = z
  .object({
    /** The banner text shown to people who log in. */
    text: z.string().min(1),
    /** The file to write. @default '/etc/motd' */
    path: z.string().startsWith('/').default('/etc/motd'),
  })
  .strict();

/**
 * `!maintenance-banner {text, path?}`: writes a banner (by default `/etc/motd`)
 * so that whoever logs into the node sees that an operation is in progress.
 *
 * Idempotent: it reads the file first and writes only when the content
 * differs, so running it twice changes nothing the second time. Uses only
 * the node shell (`cat`, `tee`), so it works over ssh and on the simulator.
 * A failing command is unrecoverable (permissions are not fixed by retrying).
 */
export class MaintenanceBannerTask implements ExecuteNodeTask {
  constructor(private readonly params: z.output<typeof maintenanceBannerParams>) {}

  name(): string {
    return 'maintenance-banner';
  }

  preconditions() {
    return [];
  }

  async execute(ctx: NodeExecutionContext): Promise<{ changed: boolean }> {
    const shell = nodeShell(ctx);
    const wanted = `${this.params.text}\n`;
    const current = await shell.run(['cat', this.params.path], { signal: ctx.signal });
    if (current.exitCode === 0 && current.stdout === wanted) {
      ctx.logger.info(`${this.params.path} already shows the banner`);
      return { changed: false };
    }
    const written = await shell.run(['tee', this.params.path], { stdin: wanted, signal: ctx.signal });
    if (written.exitCode !== 0) {
      throw new UnrecoverableError(`cannot write ${this.params.path} on ${ctx.node.id}: ${written.stderr.trim() || `exit ${written.exitCode}`}`);
    }
    return { changed: true };
  }
}
