import type { Command } from 'commander';
import type { JobStore } from '@scylla-cp/core';
import type { CliIo } from './cli-io.js';
import { colorEnabled, makeColors, type Colors } from './colors.js';
import { loadConfig, type CliConfig } from './config-file.js';
import { openStore } from './runtime.js';
import { resolveDbPath } from './state-paths.js';

/** The global options every command accepts (`--config`, `--db`, `--no-color`, `--debug`). */
export interface GlobalOpts {
  config?: string;
  db?: string;
  debug?: boolean;
  color?: boolean;
}

/** What every command registration gets: the I/O, the parsed globals, and a way to set the exit code. */
export interface CliContext {
  io: CliIo;
  program: Command;
  globals(): GlobalOpts;
  config(): CliConfig;
  dbPath(cfg: CliConfig): string;
  /** Opens the job store (`--db`, ...), with a clear error naming the path when it cannot. */
  store(cfg?: CliConfig): Promise<JobStore>;
  /** The job store's path and where it was chosen: `--db`, `$SCYLLA_CP_DB`, `"db" in <config file>`, or `the default job store`. */
  storeSource(cfg?: CliConfig): { path: string; source: string };
  colors(stream?: { isTTY?: boolean }): Colors;
  setExit(code: number): void;
}

/**
 * The {@link CliContext} of one invocation: the config file (`--config`, else
 * `./scylla-cp.config.json` if present), the job store path (`--db`,
 * `$SCYLLA_CP_DB`, the config's `db`, else `<state dir>/jobs.db`), colors
 * (off with `--no-color`, `NO_COLOR` or a non-TTY stream), and `setExit`
 * reporting the command's exit code to the caller.
 */
export function createCliContext(io: CliIo, program: Command, setExit: (code: number) => void): CliContext {
  const globals = (): GlobalOpts => program.opts<GlobalOpts>();
  const ctx: CliContext = {
    io,
    program,
    globals,
    config: () => loadConfig(io.cwd, globals().config),
    dbPath: (cfg) => resolveDbPath(io.cwd, io.env, globals().db, cfg.db),
    store: async (cfg) => {
      const { path, source } = ctx.storeSource(cfg);
      return openStore(path, source);
    },
    storeSource: (cfg) => {
      const c = cfg ?? ctx.config();
      const source = globals().db !== undefined ? '--db' : io.env.SCYLLA_CP_DB ? '$SCYLLA_CP_DB' : c.db ? `"db" in ${c.file}` : 'the default job store';
      return { path: ctx.dbPath(c), source };
    },
    colors: (stream = io.stdout) => makeColors(colorEnabled(io.env, stream, globals().color === false)),
    setExit,
  };
  return ctx;
}
