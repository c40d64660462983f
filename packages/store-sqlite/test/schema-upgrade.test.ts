// A database written by the previous schema (version 1: before `cancel-now` and plan
// re-binding) opens with this build: migration 0002 rebuilds `jobs` in place, every row,
// step, lease and event stays, foreign keys still hold, and the new features work on it.
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, SCHEMA_VERSION, SqliteStore, migrationProvider } from '@scylla-cp/store-sqlite';
import { newJob, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('upgrades a version-1 file in place: data kept, cancel-now and plan re-binding work, foreign keys enforced', async () => {
  const file = path.join(tmp.dir, 'v1.db');
  // Build a version-1 file: only the first migration, then data written through the store's SQL.
  const raw = new Database(file);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: MIGRATION_TABLE, migrationLockTableName: MIGRATION_LOCK_TABLE });
  expect((await migrator.migrateTo('0001_initial')).error).toBeUndefined();
  expect(raw.pragma('user_version', { simple: true })).toBe(1);
  const job = newJob('old-job', { at: Date.UTC(2026, 0, 1) });
  raw.prepare(`INSERT INTO jobs (id, cluster, operator, workflow_name, state, allow_concurrent, control, fencing_token, created_at, updated_at, updated_seq)
    VALUES ('old-job', 'c1', 'alice', 'test', 'running', 0, 'pause', 3, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', 0)`).run();
  raw.prepare(`INSERT INTO job_plans (job_id, workflow_text, plan) VALUES ('old-job', 'name: test\n', ?)`).run(JSON.stringify(job.plan));
  raw.prepare(`INSERT INTO steps (job_id, step_id, state, attempts, started_at) VALUES ('old-job', 's0', 'succeeded', 1, '2026-01-01T00:00:00.500Z')`).run();
  raw.prepare(`INSERT INTO leases (job_id, holder, token, acquired_at, renewed_at, expires_at) VALUES ('old-job', 'h', 3, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z')`).run();
  raw.prepare(`INSERT INTO events (job_id, at, type, step_id, data) VALUES ('old-job', '2026-01-01T00:00:02.000Z', 'step.succeeded', 's0', '{}')`).run();
  expect(() => raw.prepare(`UPDATE jobs SET control = 'cancel-now'`).run()).toThrow(/CHECK constraint/);
  await db.destroy();

  const store = await SqliteStore.open(file);
  try {
    expect(store.settings()).toMatchObject({ schemaVersion: SCHEMA_VERSION, foreignKeys: true });
    expect(SCHEMA_VERSION).toBe(2);
    const got = await store.getJob('old-job');
    expect(got).toMatchObject({ id: 'old-job', state: 'running', control: 'pause', fencingToken: 3, updatedAt: Date.UTC(2026, 0, 1, 0, 0, 2) });
    expect(got.plan).toEqual(job.plan);
    expect(await store.getSteps('old-job')).toEqual([{ jobId: 'old-job', stepId: 's0', state: 'succeeded', attempts: 1, startedAt: Date.UTC(2026, 0, 1, 0, 0, 0, 500) }]);
    expect(await store.getLease('old-job')).toEqual({ jobId: 'old-job', holder: 'h', token: 3, expiresAt: Date.UTC(2026, 0, 1, 0, 1) });
    expect((await store.listEvents('old-job')).map((e) => e.type)).toEqual(['step.succeeded']);
    await store.requestControl('old-job', 'cancel-now', Date.UTC(2026, 0, 1, 0, 0, 3));
    expect((await store.getJob('old-job')).control).toBe('cancel-now');
    expect(await store.integrityCheck()).toBe('ok');
  } finally {
    await store.close();
  }
  // Foreign keys are enforced again after the migration: a step of no job is refused.
  const check = new Database(file);
  try {
    check.pragma('foreign_keys = ON');
    expect(() => check.prepare(`INSERT INTO steps (job_id, step_id, state, attempts) VALUES ('no-such-job', 's0', 'running', 1)`).run()).toThrow(/FOREIGN KEY/);
    expect(check.pragma('foreign_key_check')).toEqual([]);
  } finally {
    check.close();
  }
});

it('a plan re-bound by one process is what every other process reads next (no stale cached plan)', async () => {
  const file = path.join(tmp.dir, 'rebind.db');
  const a = await SqliteStore.open(file);
  const b = await SqliteStore.open(file);
  try {
    const job = newJob('j1');
    await a.createJob(job);
    expect((await b.getJob('j1')).plan).toEqual(job.plan); // b caches revision 0
    const lease = await a.acquireLease('j1', 'h', 60_000, job.at);
    const rebound = { ...job.plan, inventory: { ...job.plan.inventory, connection: { scylla_api: { port: 10001 } } } };
    await a.commit(lease, { at: job.at + 1, plan: rebound, events: [{ type: 'job.inventory-rebound', data: {} }] });
    expect((await b.getJob('j1')).plan).toEqual(rebound);
    expect((await b.listJobs())[0]!.plan).toEqual(rebound);
  } finally {
    await a.close();
    await b.close();
  }
});
