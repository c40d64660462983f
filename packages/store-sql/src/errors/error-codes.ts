import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/store-sql` writes itself (the rules both SQL stores share). The
 * stores also throw core's store errors (`CLUSTER_LOCKED`, `LEASE_HELD`, `STALE_FENCING_TOKEN`,
 * `JOB_FINISHED`, `JOB_NOT_FOUND`, `STORE_UNAVAILABLE`), catalogued in `CORE_ERROR_CODES`.
 */
export const STORE_SQL_ERROR_CODES = {
  INVALID_OPTION: { errorClass: 'InvalidInputError', retryable: undefined, message: 'requestControl with an action not in CONTROL_REQUESTS' },
  DUPLICATE_JOB_ID: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a job with that id already exists in the store; job ids must be unique' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link STORE_SQL_ERROR_CODES}. */
export type StoreSqlErrorCode = keyof typeof STORE_SQL_ERROR_CODES;
