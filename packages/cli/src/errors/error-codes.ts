import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code the `scylla-cp` command throws itself (all `InvalidInputError`: bad input on
 * the command line or in the files it names). Errors of the other packages keep their codes
 * (`CORE_ERROR_CODES`, ...); `formatError` prints the code with the message.
 */
export const CLI_ERROR_CODES = {
  BAD_FLAG: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a flag value out of range or pointing at the wrong kind of path; the flag and the expectation are named' },
  BAD_TARGETING: { errorClass: 'InvalidInputError', retryable: undefined, message: 'targeting flags that cannot be combined (--nodes with --zone)' },
  BAD_VARIABLE_FLAG: { errorClass: 'InvalidInputError', retryable: undefined, message: '--var without name=value' },
  BAD_CONFIG: { errorClass: 'InvalidInputError', retryable: undefined, message: 'the config file is missing, a directory, not JSON, or has invalid settings' },
  BAD_FILE: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a workflow or inventory path that cannot be read or is a directory' },
  BAD_DB_PATH: { errorClass: 'InvalidInputError', retryable: undefined, message: '--db names a directory, a folder that cannot be created, or a file that is not a job store' },
  BAD_STATE_DIR: { errorClass: 'InvalidInputError', retryable: undefined, message: '$SCYLLA_CP_HOME (or ~/.scylla-cp) names a folder that cannot be created' },
  BAD_NOTIFY: { errorClass: 'InvalidInputError', retryable: undefined, message: '--notify with an unknown kind, an unset environment variable, an unreadable file or a URL that is not http(s)' },
  PLUGIN_NOT_FOUND: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a --plugin that cannot be found; where it looked and how to fix it are said' },
  PLUGIN_LOAD_FAILED: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a --plugin found but failed to load, or exports no plugin' },
  NO_TOKENS: { errorClass: 'InvalidInputError', retryable: undefined, message: '`scylla-cp server` with a tokens file that holds no token; create one first with `scylla-cp server token`' },
  SERVER_READ_ONLY: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a store operation the server API does not offer; use the server job commands instead' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link CLI_ERROR_CODES}. */
export type CliErrorCode = keyof typeof CLI_ERROR_CODES;
