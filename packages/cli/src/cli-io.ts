/** Where the CLI reads and writes. Tests pass their own; the binary passes the process's. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where confirmations are read from; absent or not a TTY: nobody can answer. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  env: NodeJS.ProcessEnv;
  /** Working directory for relative paths and the config file. */
  cwd: string;
  /** Registers a SIGINT handler; returns an unregister function. */
  onInterrupt(handler: () => void): () => void;
}

/** The process's streams, environment and SIGINT (and SIGTERM, treated as the first Ctrl-C). */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}
