// PostgresStore beyond the JobStore contract: options, opening, an unreachable server,
// audit events, the idempotent step commit, and what is stored.
import { afterAll, expect, it } from 'vitest';
import { InvalidInputError, JobNotFoundError, StoreUnavailableError } from '@scylla-cp/core';
import { freePort } from '@scylla-cp/store-postgres/test-support';
import { newJob } from '@scylla-cp/store-sql/test-support';
import pg from 'pg';
import { PostgresSchemaTooNewError, PostgresStore } from '@scylla-cp/store-postgres';
import { usePostgresServer } from './pg-fixture.js';

const server = usePostgresServer();
const url = () => server.server.connectionString();
const stores: PostgresStore[] = [];
async function open(schema: string, extra: Parameters<typeof PostgresStore.open>[0] = {}): Promise<PostgresStore> {
  const store = await PostgresStore.open({ connectionString: url(), schema, ...extra });
  stores.push(store);
  return store;
}
afterAll(async () => {
  for (const s of stores) await s.close();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

it('refuses bad options with InvalidInputError naming the option', async () => {
  const e1 = await rejection(PostgresStore.open({ connectionString: url(), schema: 'Robert; DROP TABLE jobs' }));
  expect(e1).toBeInstanceOf(InvalidInputError);
  expect(String(e1)).toContain('schema must be a lower-case SQL identifier');
  const e2 = await rejection(PostgresStore.open({ connectionString: url(), maxConnections: 0 }));
  expect(String(e2)).toContain('maxConnections must be an integer >= 1');
});

it('an unreachable server fails with StoreUnavailableError saying what to check, after reconnectTimeoutMs', async () => {
  const port = await freePort();
  const t0 = performance.now();
  const err = await rejection(PostgresStore.open({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectTimeoutMs: 500 }));
  expect(err).toBeInstanceOf(StoreUnavailableError);
  expect(String(err)).toMatch(/cannot open.*ECONNREFUSED.*check that PostgreSQL runs/);
  expect(performance.now() - t0).toBeLessThan(5_000);

  // An open store whose server goes away: writes retry for reconnectTimeoutMs, then fail clearly.
  const store = await open('gone', { reconnectTimeoutMs: 400 });
  await store.createJob(newJob('j1'));
  await server.server.stopServer('fast');
  try {
    const t1 = performance.now();
    const e = await rejection(store.requestControl('j1', 'pause', 1));
    expect(e).toBeInstanceOf(StoreUnavailableError);
    expect(String(e)).toMatch(/cannot record a control request: PostgreSQL could not be reached for \d+ ms/);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(400);
  } finally {
    await server.server.startServer();
  }
  await store.requestControl('j1', 'pause', 2); // and works again once it is back
  expect((await store.getJob('j1')).control).toBe('pause');
});

it('refuses a schema written by a newer build, changing nothing', async () => {
  const store = await open('newer');
  await store.createJob(newJob('j1'));
  await server.server.psql('postgres', "INSERT INTO newer.schema_migrations (name, timestamp) VALUES ('9999_from_the_future', now()::text)");
  const err = await rejection(PostgresStore.open({ connectionString: url(), schema: 'newer' }));
  expect(err).toBeInstanceOf(PostgresSchemaTooNewError);
  expect(String(err)).toContain('9999_from_the_future');
  expect(await server.server.psql('postgres', 'SELECT count(*) FROM newer.jobs')).toBe('1');
});

it('appendEvent needs no lease, keeps sequence order with commits, and leaves the job state alone', async () => {
  const store = await open('audit');
  const other = await open('audit');
  await store.createJob(newJob('j1', { at: 1_000 }));
  const lease = await store.acquireLease('j1', 'runner-a', 30_000, 1_000);
  await store.commit(lease, { at: 1_001, job: { state: 'running' }, events: [{ type: 'job.started', data: {} }] });
  const audit = await other.appendEvent('j1', { at: 1_002, type: 'api.pause', data: { caller: 'alice', role: 'operator' } });
  await store.commit(lease, { at: 1_003, events: [{ type: 'step.started', stepId: 's0', data: {} }] });
  const events = await store.listEvents('j1');
  expect(events.map((e) => e.type)).toEqual(['job.started', 'api.pause', 'step.started']);
  expect(events[1]).toEqual(audit);
  expect((await store.getJob('j1')).state).toBe('running');
  await expect(other.appendEvent('nope', { at: 1, type: 'x', data: {} })).rejects.toBeInstanceOf(JobNotFoundError);
});

it('a step commit retried with the same key after a lost connection is applied once', async () => {
  const store = await open('idem');
  await store.createJob(newJob('j1'));
  const lease = await store.acquireLease('j1', 'h', 60_000, 0);
  const client = new pg.Client({ connectionString: url(), options: '-c search_path=idem' });
  await client.connect();
  try {
    const call = () =>
      client.query('SELECT token, state, control FROM commit_steps($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7)', [
        'j1',
        lease.token,
        '2026-01-01T00:00:01.000Z',
        JSON.stringify([{ step_id: 's0', node_id: null, state: 'running', attempts: 1, started_at: '2026-01-01T00:00:01.000Z', finished_at: null, last_error: null, set_error: false, result: null }]),
        JSON.stringify([{ i: 0, type: 'step.started', step_id: 's0', data: '{"attempt":1}' }]),
        'key-1',
        true, // a step's start: refused while a control request is pending
      ]);
    expect((await call()).rows).toEqual([{ token: 1, state: 'pending', control: null }]);
    // A pause recorded after the first call committed does not turn the retry into a refusal:
    // the key says the call was applied (control null), and nothing is written twice.
    await store.requestControl('j1', 'pause', 2_000);
    expect((await call()).rows).toEqual([{ token: 1, state: 'pending', control: null }]); // the retry
  } finally {
    await client.end();
  }
  expect((await store.listEvents('j1')).map((e) => e.type)).toEqual(['step.started']);
  expect(await store.getSteps('j1')).toEqual([{ jobId: 'j1', stepId: 's0', state: 'running', attempts: 1, startedAt: Date.UTC(2026, 0, 1, 0, 0, 1) }]);
});

it('stores what psql can read: timestamptz, jsonb, and the schema of its own', async () => {
  const store = await open('visible');
  await store.createJob(newJob('j1', { at: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }));
  const lease = await store.acquireLease('j1', 'h', 60_000, Date.UTC(2026, 0, 2, 3, 4, 6));
  await store.commit(lease, {
    at: Date.UTC(2026, 0, 2, 3, 4, 7),
    steps: [{ stepId: 's0', state: 'failed', attempts: 1, startedAt: Date.UTC(2026, 0, 2, 3, 4, 7), lastError: { name: 'E', message: 'boom', classification: 'unrecoverable' } }],
  });
  const row = await server.server.psql('postgres', "SELECT step_id, state, started_at AT TIME ZONE 'UTC', last_error->>'message' FROM visible.steps");
  expect(row).toBe('s0|failed|2026-01-02 03:04:07|boom');
  expect(await server.server.psql('postgres', "SELECT created_at AT TIME ZONE 'UTC' FROM visible.jobs")).toBe('2026-01-02 03:04:05.006');
  expect(await server.server.psql('postgres', 'SELECT count(*) FROM scylla_cp.jobs').catch((e: Error) => e.message)).toMatch(/does not exist/);
});

it('a control request written by another store is visible to the next getJob, and stays until a commit clears it', async () => {
  const runner = await open('control');
  const operator = await open('control');
  await runner.createJob(newJob('j1', { at: 1_000 }));
  const lease = await runner.acquireLease('j1', 'host-a:123:00ff00ff00ff00ff', 1_000, 1_000);
  await runner.commit(lease, { at: 1_001, job: { state: 'running' } });
  expect((await runner.getJob('j1')).control).toBeUndefined();
  for (const action of ['pause', 'cancel', 'cancel-now'] as const) {
    await operator.requestControl('j1', action, 2_000);
    expect((await runner.getJob('j1')).control).toBe(action);
  }
  const next = await operator.acquireLease('j1', 'host-b:456:0123456789abcdef', 1_000, 10_000);
  expect(await operator.getLease('j1')).toEqual({ jobId: 'j1', holder: 'host-b:456:0123456789abcdef', token: 2, expiresAt: 11_000 });
  expect((await operator.getJob('j1')).control).toBe('cancel-now');
  await operator.commit(next, { at: 10_001, job: { state: 'cancelled', clearControl: true } });
  const after = await runner.getJob('j1');
  expect([after.state, after.control]).toEqual(['cancelled', undefined]);
});
