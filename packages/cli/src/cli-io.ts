/** Where the CLI reads and writes. Tests pass their own; the binary passes the process's. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Working directory for relative paths and the config file. */
  cwd: string;
  /** Registers a SIGINT handler; returns an unregister function. */
  onInterrupt(handler: () => void): () => void;
}

/** The process's streams, environment and SIGINT. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
