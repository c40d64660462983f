import type { Kysely, RawBuilder } from 'kysely';
import { JOB_STATES, type JobCountsByState, type JobQuery, type JobState } from '@scylla-cp/core';
import type { EventRow, JobRow } from './row-mapping.js';
import type { SqlStoreSchema } from './schema.js';

/** Any SQL store's Kysely instance, seen through the tables they share. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SqlStoreDb = Kysely<SqlStoreSchema<any>>;

/** Rows of `listJobs`: newest first (`created_at`, then `tiebreak` descending), filtered, at most `limit` (@default 50). */
export async function selectJobs(db: SqlStoreDb, query: JobQuery, tiebreak: RawBuilder<unknown>): Promise<JobRow[]> {
  if (query.states !== undefined && query.states.length === 0) return [];
  let q = db
    .selectFrom('jobs')
    .innerJoin('job_plans', 'job_plans.job_id', 'jobs.id')
    .select([
      'jobs.id',
      'jobs.cluster',
      'jobs.operator',
      'jobs.workflow_name',
      'jobs.state',
      'jobs.allow_concurrent',
      'jobs.control',
      'jobs.error',
      'jobs.fencing_token',
      'jobs.plan_rev',
      'jobs.created_at',
      'jobs.updated_at',
      'job_plans.workflow_text',
    ])
    .select((eb) =>
      eb
        .selectFrom('events')
        .select('events.at')
        .whereRef('events.job_id', '=', 'jobs.id')
        .whereRef('events.seq', '>', 'jobs.updated_seq')
        .orderBy('events.seq', 'desc')
        .limit(1)
        .as('last_event_at'),
    );
  if (query.cluster !== undefined) q = q.where('jobs.cluster', '=', query.cluster);
  if (query.states !== undefined) q = q.where('jobs.state', 'in', query.states);
  const rows = await q
    .orderBy('jobs.created_at', 'desc')
    .orderBy(tiebreak, 'desc')
    .limit(Math.max(0, query.limit ?? 50))
    .execute();
  return rows as JobRow[];
}

/** `countJobsByState`: one `GROUP BY state` over the jobs (of `cluster`, when given); every state present. */
export async function countJobsByState(db: SqlStoreDb, query: { cluster?: string }): Promise<JobCountsByState> {
  let q = db.selectFrom('jobs').select(['jobs.state']).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).groupBy('jobs.state');
  if (query.cluster !== undefined) q = q.where('jobs.cluster', '=', query.cluster);
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCountsByState;
  for (const row of await q.execute()) counts[row.state as JobState] = Number(row.n);
  return counts;
}

/** Rows of `listEvents`: the job's events in sequence order after `afterSeq` (exclusive), at most `limit` (@default all). */
export async function selectEvents(db: SqlStoreDb, jobId: string, query: { afterSeq?: number; limit?: number }): Promise<EventRow[]> {
  let q = db.selectFrom('events').selectAll().where('job_id', '=', jobId);
  if (query.afterSeq !== undefined) q = q.where('seq', '>', query.afterSeq);
  q = q.orderBy('seq', 'asc');
  if (query.limit !== undefined) q = q.limit(Math.max(0, query.limit));
  return (await q.execute()) as EventRow[];
}
