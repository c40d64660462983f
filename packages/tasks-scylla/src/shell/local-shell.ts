import type { NodeShell, ShellResult, ShellRunOptions } from './node-shell.js';
import { runProcess } from './run-process.js';

/**
 * Runs commands on the machine scylla-cp runs on (for an agent installed on each node, or a
 * single-node lab). `argv[0]` is executed directly with the other elements as its arguments:
 * no shell is involved, so nothing in an argument is interpreted. A program that is not found
 * gives exit code 127, as a shell would. Timeout → the process is killed and `RecoverableError`
 * code `SHELL_TIMEOUT` is thrown.
 */
export class LocalShell implements NodeShell {
  async run(argv: readonly string[], options: ShellRunOptions = {}): Promise<ShellResult> {
    if (argv.length === 0) throw new TypeError('argv must name a program');
    return runProcess({ file: argv[0]!, args: argv.slice(1), label: `local: ${argv.join(' ')}`, enoentAsExit127: true }, options);
  }
}
