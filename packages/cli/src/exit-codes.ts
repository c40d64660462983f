/**
 * Exit codes of the `scylla-cp` command.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | the job failed or halted (or a command could not do what was asked) |
 * | 2 | invalid input: workflow, inventory, variables, targeting, options, config |
 * | 3 | the job was paused or interrupted (Ctrl-C); it can be resumed |
 */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  INVALID_INPUT: 2,
  PAUSED: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The exit code of a command line that commander refused or answered itself:
 * 0 for `--help` and `--version`, 2 (invalid input) for everything else
 * (unknown command or option, missing argument, invalid value; commander has
 * already printed what and which flag).
 */
export function commanderExitCode(error: { code: string }): ExitCode {
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? ExitCode.OK : ExitCode.INVALID_INPUT;
}
