import type { ErrorCodeCatalogue } from '@scylla-cp/core';

/**
 * Every error code `@scylla-cp/store-postgres` writes itself. The store also throws core's store
 * errors (`CORE_ERROR_CODES`) and the shared SQL rules' codes (`STORE_SQL_ERROR_CODES`).
 */
export const STORE_POSTGRES_ERROR_CODES = {
  INVALID_OPTION: { errorClass: 'InvalidInputError', retryable: undefined, message: 'a PostgresStore option out of range (schema name, integer options); the option and its allowed values are named' },
  STORE_SCHEMA_TOO_NEW: { errorClass: 'PostgresSchemaTooNewError', retryable: undefined, message: 'the schema holds migrations this scylla-cp does not know; nothing was changed: upgrade scylla-cp' },
} as const satisfies ErrorCodeCatalogue;

/** A code of {@link STORE_POSTGRES_ERROR_CODES}. */
export type StorePostgresErrorCode = keyof typeof STORE_POSTGRES_ERROR_CODES;
