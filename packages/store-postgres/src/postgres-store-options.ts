import { InvalidInputError } from '@scylla-cp/core';
import type pg from 'pg';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /**
   * A `postgres://user:password@host:port/database` URL (or any libpq-style
   * string `pg` accepts). Ignored when `pool` is given.
   */
  connectionString?: string;
  /**
   * Extra `pg.Pool` settings (TLS, password, timeouts), merged over the
   * store's own. Ignored when `pool` is given.
   */
  poolConfig?: pg.PoolConfig;
  /**
   * The PostgreSQL schema (namespace) that holds the store's tables; created
   * when missing. Several stores (teams, tests) can share one database under
   * different schemas.
   * @default 'scylla_cp'
   */
  schema?: string;
  /** Most connections the store's pool opens. @default 10 */
  maxConnections?: number;
  /**
   * How long a call keeps retrying while PostgreSQL cannot be reached (a
   * restart, a failover, a dropped connection) before it fails with
   * `StoreUnavailableError`. Milliseconds. Writes are idempotent, so a retry
   * after a connection lost in the middle of a commit never applies it twice.
   * @default 30000
   */
  reconnectTimeoutMs?: number;
  /** Timeout of one connection attempt, ms. @default 5000 */
  connectTimeoutMs?: number;
}

/** {@link PostgresStoreOptions} with every default applied. */
export interface ResolvedPostgresStoreOptions {
  connectionString: string | undefined;
  poolConfig: pg.PoolConfig;
  schema: string;
  maxConnections: number;
  reconnectTimeoutMs: number;
  connectTimeoutMs: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Applies the defaults and checks the values. @throws InvalidInputError (`INVALID_OPTION`) */
export function resolvePostgresStoreOptions(options: PostgresStoreOptions): ResolvedPostgresStoreOptions {
  const schema = options.schema ?? 'scylla_cp';
  if (!SCHEMA_NAME.test(schema)) {
    throw new InvalidInputError(
      `PostgresStore: schema must be a lower-case SQL identifier (letters, digits, _; at most 63), got ${JSON.stringify(schema)}`,
      { code: 'INVALID_OPTION' },
    );
  }
  const int = (name: string, value: number | undefined, dflt: number, min: number): number => {
    const v = value ?? dflt;
    if (!Number.isInteger(v) || v < min) {
      throw new InvalidInputError(`PostgresStore: ${name} must be an integer >= ${min}, got ${String(value)}`, { code: 'INVALID_OPTION' });
    }
    return v;
  };
  return {
    connectionString: options.connectionString,
    poolConfig: options.poolConfig ?? {},
    schema,
    maxConnections: int('maxConnections', options.maxConnections, 10, 1),
    reconnectTimeoutMs: int('reconnectTimeoutMs', options.reconnectTimeoutMs, 30_000, 0),
    connectTimeoutMs: int('connectTimeoutMs', options.connectTimeoutMs, 5_000, 1),
  };
}
