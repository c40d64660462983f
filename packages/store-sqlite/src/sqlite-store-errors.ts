import { StoreUnavailableError, type ScyllaCpErrorOptions } from '@scylla-cp/core';

/**
 * The database file was written by a newer scylla-cp (its schema version is
 * higher than this build knows). Nothing was changed; upgrade scylla-cp.
 */
export class SchemaTooNewError extends StoreUnavailableError {
  static override readonly kind: string = 'SchemaTooNewError';
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly supportedVersion: number,
    options: ScyllaCpErrorOptions = {},
  ) {
    super(
      `job store ${path}: schema version ${fileVersion} is newer than this scylla-cp supports (${supportedVersion}); ` +
        'the file was left untouched: upgrade scylla-cp to open it, or open another file',
      { code: 'STORE_SCHEMA_TOO_NEW', ...options, details: { path, fileVersion, supportedVersion } },
    );
  }
}

/** The file is not a SQLite database. Nothing was changed. */
export class NotAStoreDatabaseError extends StoreUnavailableError {
  static override readonly kind: string = 'NotAStoreDatabaseError';
  constructor(readonly path: string, reason: string, options: ScyllaCpErrorOptions = {}) {
    super(
      `job store ${path}: ${reason}; the file was left untouched: open a scylla-cp job database, or a path that does not exist yet`,
      { code: 'STORE_NOT_A_DATABASE', ...options, details: { path } },
    );
  }
}
