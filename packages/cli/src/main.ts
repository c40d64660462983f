import { Command, CommanderError } from 'commander';
import { processIo, type CliIo } from './cli-io.js';
import { createCliContext } from './cli-context.js';
import { CLI_VERSION } from './cli-version.js';
import { commanderExitCode, ExitCode } from './exit-codes.js';
import { formatError, type ErrorContext } from './format-error.js';
import { registerApproveCommand } from './commands/gate-commands.js';
import { registerJobControlCommands } from './commands/job-control-commands.js';
import { registerJobViewCommands } from './commands/job-view-commands.js';
import { registerSchemaCommand } from './commands/schema-settings.js';
import { registerServerCommand } from './commands/server-command.js';
import { registerSimCommands } from './commands/sim-commands.js';
import { registerWorkflowCommands } from './commands/workflow-commands.js';
import { runRemoteCli } from './remote/remote-cli.js';

/**
 * Runs the `scylla-cp` command with `argv` (without `node` and the script)
 * and returns the exit code: 0 success, 1 job failed or halted, 2 invalid
 * input, 3 paused or interrupted.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  // With --server URL (or $SCYLLA_CP_SERVER), job commands go to a scylla-cp server.
  const remote = await runRemoteCli(argv, io);
  if (remote !== undefined) return remote;
  let exitCode: number = ExitCode.OK;
  let debug = argv.includes('--debug');
  const program = new Command('scylla-cp')
    .description('Safe, resumable operations on ScyllaDB clusters')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .option('--config <file>', 'config file (default: ./scylla-cp.config.json if present)')
    .option('--db <path>', 'job store file (default: $SCYLLA_CP_DB or ~/.scylla-cp/jobs.db)')
    .option('--no-color', 'no colors (also: NO_COLOR=1)')
    .option('--debug', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  const ctx = createCliContext(io, program, (code) => {
    exitCode = code;
  });
  const errorContext = (): ErrorContext => {
    try {
      return { jobStore: ctx.storeSource() };
    } catch {
      return {}; // the config file itself is at fault: its own error says so
    }
  };

  // In the order of `--help`.
  registerWorkflowCommands(ctx); // validate, plan, preflight, run
  registerJobControlCommands(ctx); // resume, retry, pause, cancel
  registerJobViewCommands(ctx); // status, jobs, logs, report
  registerSchemaCommand(ctx);
  registerSimCommands(ctx); // sim start, demo
  registerServerCommand(ctx); // server start|token, and the global --server
  registerApproveCommand(ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    debug = Boolean(ctx.globals().debug);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    const f = formatError(error, debug, errorContext());
    io.stderr.write(`${f.message}\n`);
    return f.exitCode;
  }
}
