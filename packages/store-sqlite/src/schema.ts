/**
 * Row types of the SQLite schema, as Kysely sees them: the tables every SQL
 * store shares (`@scylla-cp/store-sql`), with ISO-8601 UTC text timestamps
 * (`2026-01-01T00:00:00.000Z`) and JSON text columns (checked with
 * `json_valid`), plus SQLite's generated ms columns on `steps`. See the package
 * README for the meaning of each table and example queries.
 */

import type { Generated } from 'kysely';
import type { SqlStoreSchema, StepsTable as SqlStepsTable } from '@scylla-cp/store-sql';

export type { EventsTable, JobPlansTable, JobsTable, LeasesTable } from '@scylla-cp/store-sql';

/** `steps`: one row per step that was ever started; absent means `pending`. */
export interface StepsTable extends SqlStepsTable<string> {
  /** `started_at` as ms since epoch (generated, stored: fast to load). */
  started_ms: Generated<number | null>;
  /** `finished_at` as ms since epoch (generated, stored). */
  finished_ms: Generated<number | null>;
}

/** The whole SQLite schema, for `Kysely<StoreSchema>`. */
export interface StoreSchema extends Omit<SqlStoreSchema<string>, 'steps'> {
  steps: StepsTable;
}
