import os from 'node:os';
import path from 'node:path';

/**
 * The folder scylla-cp keeps its state in: `$SCYLLA_CP_HOME`, else
 * `~/.scylla-cp`.
 */
export function stateDir(env: NodeJS.ProcessEnv): string {
  return env.SCYLLA_CP_HOME ? path.resolve(env.SCYLLA_CP_HOME) : path.join(os.homedir(), '.scylla-cp');
}

/**
 * The job store file, in order of precedence: `--db`, `$SCYLLA_CP_DB`, the
 * config file's `db`, then `<stateDir>/jobs.db` (default `~/.scylla-cp/jobs.db`).
 */
export function resolveDbPath(cwd: string, env: NodeJS.ProcessEnv, flag?: string, configDb?: string): string {
  const chosen = flag ?? env.SCYLLA_CP_DB ?? configDb;
  return chosen ? path.resolve(cwd, chosen) : path.join(stateDir(env), 'jobs.db');
}

/** The operator recorded with a job: `--operator`, `$SCYLLA_CP_OPERATOR`, the config's, else the OS user. */
export function resolveOperator(env: NodeJS.ProcessEnv, flag?: string, configOperator?: string): string {
  if (flag) return flag;
  if (env.SCYLLA_CP_OPERATOR) return env.SCYLLA_CP_OPERATOR;
  if (configOperator) return configOperator;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
