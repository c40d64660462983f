import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/store-sqlite` writes itself. The store also throws core's store
 * errors (`CORE_ERROR_CODES`) and the shared SQL rules' codes (`STORE_SQL_ERROR_CODES`).
 */
export const STORE_SQLITE_ERROR_CODES = {
  INVALID_OPTION: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a SqliteStore option out of range (synchronous, busyTimeoutMs, ...); the option and its allowed values are named' },
  STORE_SCHEMA_TOO_NEW: { errorClass: 'SchemaTooNewError', retryable: undefined, message: 'the file was written by a newer scylla-cp; it was left untouched: upgrade scylla-cp' },
  STORE_NOT_A_DATABASE: { errorClass: 'NotAStoreDatabaseError', retryable: undefined, message: 'the file is not a scylla-cp job database; it was left untouched' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link STORE_SQLITE_ERROR_CODES}. */
export type StoreSqliteErrorCode = keyof typeof STORE_SQLITE_ERROR_CODES;
