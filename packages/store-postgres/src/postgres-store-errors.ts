import { StoreUnavailableError, type ScyllaCpErrorOptions } from '@scylla-cp/core';

/**
 * The database schema was written by a newer scylla-cp (it holds migrations
 * this build does not know). Nothing was changed; upgrade scylla-cp.
 */
export class PostgresSchemaTooNewError extends StoreUnavailableError {
  static override readonly kind: string = 'PostgresSchemaTooNewError';
  constructor(
    readonly where: string,
    readonly unknownMigrations: readonly string[],
    options: ScyllaCpErrorOptions = {},
  ) {
    super(
      `job store ${where}: the schema has migrations this scylla-cp does not know (${unknownMigrations.join(', ')}); ` +
        'nothing was changed: upgrade scylla-cp to use this database, or use another schema',
      { code: 'STORE_SCHEMA_TOO_NEW', ...options, details: { where, unknownMigrations: [...unknownMigrations] } },
    );
  }
}
