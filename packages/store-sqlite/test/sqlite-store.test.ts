import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, JobNotFoundError, LeaseHeldError, MemoryStore, StaleFencingTokenError, StoreUnavailableError, type JobStore, type Lease } from '@scylla-cp/core';
import { NotAStoreDatabaseError, SCHEMA_VERSION, SchemaTooNewError, SqliteStore } from '@scylla-cp/store-sqlite';
import { newJob, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const dbPath = () => path.join(tmp.dir, `t-${n++}.db`);

const open: SqliteStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function openStore(file: string, options?: Parameters<typeof SqliteStore.open>[1]): Promise<SqliteStore> {
  const s = await SqliteStore.open(file, options);
  open.push(s);
  return s;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** Every file of a database (main, -wal, -shm) and its bytes, to compare before and after. */
function snapshot(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (fs.existsSync(file + suffix)) out[suffix || 'main'] = fs.readFileSync(file + suffix).toString('base64');
  }
  return out;
}

describe('SqliteStore: opening and settings', () => {
  it('creates the file (and its directory) with WAL, synchronous=FULL, busy_timeout and foreign keys on', async () => {
    const file = path.join(tmp.dir, 'nested', 'dir', 'jobs.db');
    const store = await openStore(file);
    expect(fs.existsSync(file)).toBe(true);
    expect(store.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 'FULL',
      busyTimeoutMs: 5000,
      foreignKeys: true,
      schemaVersion: SCHEMA_VERSION,
    });
  });

  it('accepts synchronous NORMAL and a busy timeout, and rejects bad option values', async () => {
    const store = await openStore(dbPath(), { synchronous: 'NORMAL', busyTimeoutMs: 250 });
    expect(store.settings()).toMatchObject({ synchronous: 'NORMAL', busyTimeoutMs: 250 });
    expect(await rejection(SqliteStore.open(dbPath(), { synchronous: 'OFF' as 'FULL' }))).toBeInstanceOf(InvalidInputError);
    expect(await rejection(SqliteStore.open(dbPath(), { busyTimeoutMs: -1 }))).toBeInstanceOf(InvalidInputError);
  });

  it('runs migrations once: a reopened file keeps its data and its migration history', async () => {
    const file = dbPath();
    const a = await SqliteStore.open(file);
    await a.createJob(newJob('j1'));
    await a.close();
    const b = await openStore(file);
    expect((await b.getJob('j1')).operator).toBe('alice');
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(raw.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all()).toEqual(['0001_initial', '0002_cancel_now_and_plan_rev']);
    } finally {
      raw.close();
    }
  });

  it('works in memory', async () => {
    const store = await openStore(':memory:');
    await store.createJob(newJob('j1'));
    expect((await store.listJobs()).map((j) => j.id)).toEqual(['j1']);
    expect(store.settings().journalMode).toBe('memory');
  });

  it('refuses a file that is not a SQLite database and leaves it byte-for-byte unchanged', async () => {
    const file = dbPath();
    fs.writeFileSync(file, 'name: rolling-restart\ncluster_tasks: []\n'.repeat(50));
    const before = snapshot(file);
    const err = await rejection(SqliteStore.open(file));
    expect(err).toBeInstanceOf(NotAStoreDatabaseError);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain(file);
    expect(err.message).toContain('not a SQLite database');
    expect(snapshot(file)).toEqual(before);
    expect(Object.keys(snapshot(file))).toEqual(['main']);
  });

  it('refuses a short non-database file and a directory', async () => {
    const file = dbPath();
    fs.writeFileSync(file, 'x');
    expect(await rejection(SqliteStore.open(file))).toBeInstanceOf(NotAStoreDatabaseError);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    expect(await rejection(SqliteStore.open(tmp.dir))).toBeInstanceOf(NotAStoreDatabaseError);
  });

  it("refuses another application's SQLite database and leaves it unchanged", async () => {
    const file = dbPath();
    const raw = new Database(file);
    raw.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat')");
    raw.close();
    const before = snapshot(file);
    const err = await rejection(SqliteStore.open(file));
    expect(err).toBeInstanceOf(NotAStoreDatabaseError);
    expect(err.message).toContain('another application');
    expect(snapshot(file)).toEqual(before);
  });

  it('refuses a database from a newer schema version (user_version) and leaves it unchanged', async () => {
    const file = dbPath();
    const s = await SqliteStore.open(file);
    await s.createJob(newJob('j1'));
    await s.close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = snapshot(file);
    const err = await rejection(SqliteStore.open(file));
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect(err).toMatchObject({ fileVersion: SCHEMA_VERSION + 1, supportedVersion: SCHEMA_VERSION });
    expect(err.message).toContain('upgrade scylla-cp');
    expect(snapshot(file)).toEqual(before);
  });

  it('refuses a database with a migration this build does not know and leaves it unchanged', async () => {
    const file = dbPath();
    const s = await SqliteStore.open(file);
    await s.close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO schema_migrations (name, timestamp) VALUES (?, ?)').run('9999_from_the_future', new Date(0).toISOString());
    raw.close();
    const before = snapshot(file);
    expect(await rejection(SqliteStore.open(file))).toBeInstanceOf(SchemaTooNewError);
    expect(snapshot(file)).toEqual(before);
  });

  it('a read-only open reads but every write fails with StoreUnavailableError', async () => {
    const file = dbPath();
    const w = await SqliteStore.open(file);
    await w.createJob(newJob('j1'));
    await w.close();
    const r = await openStore(file, { readOnly: true });
    expect((await r.getJob('j1')).state).toBe('pending');
    const err = await rejection(r.acquireLease('j1', 'h', 1_000, 0));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain('read-only');
    expect(await rejection(r.createJob(newJob('j2', { cluster: 'c2' })))).toBeInstanceOf(StoreUnavailableError);
    expect(await rejection(SqliteStore.open(dbPath(), { readOnly: true }))).toBeInstanceOf(StoreUnavailableError);
  });
});

describe('SqliteStore: the file is readable by hand', () => {
  it('stores ISO-8601 timestamps, JSON plans, params, results and errors, one table per concept', async () => {
    const file = dbPath();
    const store = await openStore(file);
    await store.createJob(newJob('j1', { at: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }));
    const lease = await store.acquireLease('j1', 'host:1:abc', 30_000, Date.UTC(2026, 0, 2, 3, 4, 6));
    await store.commit(lease, {
      at: Date.UTC(2026, 0, 2, 3, 4, 7),
      job: { state: 'running' },
      steps: [{ stepId: 's0', state: 'failed', attempts: 1, startedAt: Date.UTC(2026, 0, 2, 3, 4, 7), lastError: { name: 'E', message: 'boom', classification: 'unrecoverable' } }],
      events: [{ type: 'step.failed', stepId: 's0', data: { attempt: 1 } }],
    });
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.prepare("SELECT created_at, state, json_extract(plan, '$.steps[1].task.params.i') AS i FROM jobs JOIN job_plans ON job_id = id").get()).toEqual({
        created_at: '2026-01-02T03:04:05.006Z',
        state: 'running',
        i: 1,
      });
      expect(raw.prepare("SELECT step_id, state, started_at, json_extract(last_error, '$.message') AS msg FROM steps").get()).toEqual({
        step_id: 's0',
        state: 'failed',
        started_at: '2026-01-02T03:04:07.000Z',
        msg: 'boom',
      });
      expect(raw.prepare('SELECT holder, token, expires_at FROM leases').get()).toEqual({
        holder: 'host:1:abc',
        token: 1,
        expires_at: '2026-01-02T03:04:36.000Z',
      });
      expect(raw.prepare('SELECT seq, at, type, step_id, data FROM events').get()).toEqual({
        seq: 1,
        at: '2026-01-02T03:04:07.000Z',
        type: 'step.failed',
        step_id: 's0',
        data: '{"attempt":1}',
      });
    } finally {
      raw.close();
    }
  });

  it('the event log is append-only: updates and deletes are refused by the database', async () => {
    const file = dbPath();
    const store = await openStore(file);
    await store.createJob(newJob('j1'));
    const lease = await store.acquireLease('j1', 'h', 1_000, 0);
    await store.commit(lease, { at: 1, events: [{ type: 'x', data: {} }] });
    const raw = new Database(file);
    try {
      expect(() => raw.prepare("UPDATE events SET type = 'y'").run()).toThrow(/append-only/);
      expect(() => raw.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    } finally {
      raw.close();
    }
    expect((await store.listEvents('j1')).map((e) => e.type)).toEqual(['x']);
  });
});

describe('SqliteStore: transitions', () => {
  it('a commit that fails half-way writes nothing', async () => {
    const store = await openStore(dbPath());
    await store.createJob(newJob('j1'));
    const lease = await store.acquireLease('j1', 'h', 60_000, 0);
    await store.commit(lease, { at: 1, job: { state: 'running' }, steps: [{ stepId: 's0', state: 'running', attempts: 1 }] });
    const err = await rejection(
      store.commit(lease, {
        at: 2,
        job: { state: 'failed' },
        steps: [
          { stepId: 's0', state: 'succeeded', attempts: 1 },
          { stepId: 's1', state: 'bogus' as 'running', attempts: 1 },
        ],
        events: [{ type: 'x', data: {} }],
      }),
    );
    expect(err.message).toMatch(/CHECK constraint/);
    expect((await store.getJob('j1')).state).toBe('running');
    expect(await store.getSteps('j1')).toEqual([{ jobId: 'j1', stepId: 's0', state: 'running', attempts: 1 }]);
    expect(await store.listEvents('j1')).toEqual([]);
  });

  it('keeps a result of null apart from no result, and events without data get {}', async () => {
    const store = await openStore(dbPath());
    await store.createJob(newJob('j1'));
    const lease = await store.acquireLease('j1', 'h', 60_000, 0);
    await store.commit(lease, {
      at: 1,
      steps: [
        { stepId: 'a', state: 'succeeded', attempts: 1, result: null },
        { stepId: 'b', state: 'succeeded', attempts: 1 },
      ],
      events: [{ type: 'e' } as unknown as { type: string; data: Record<string, unknown> }],
    });
    const steps = (await store.getSteps('j1')).sort((x, y) => x.stepId.localeCompare(y.stepId));
    expect('result' in steps[0]!).toBe(true);
    expect(steps[0]!.result).toBe(null);
    expect('result' in steps[1]!).toBe(false);
    expect((await store.listEvents('j1'))[0]!.data).toEqual({});
  });

  it('getResumeRecords lists completed ids exactly, even ids holding its separator character or SQL-looking text', async () => {
    const store = await openStore(dbPath());
    await store.createJob(newJob('j1'));
    const lease = await store.acquireLease('j1', 'h', 60_000, 0);
    const odd = ['s0/a\u001eb/t0', "s0/it's/t1", 's0/x,y/t2', 's0/ünï/t3', 's0//t4'];
    await store.commit(lease, {
      at: 1,
      steps: [
        ...odd.map((stepId) => ({ stepId, state: 'succeeded' as const, attempts: 1 })),
        { stepId: 's0/run/t0', nodeId: 'run', state: 'running', attempts: 3, startedAt: 1, result: [1] },
      ],
    });
    const rr = await store.getResumeRecords('j1');
    expect([...rr.completedStepIds].sort()).toEqual([...odd].sort());
    expect(rr.openRecords).toEqual([{ jobId: 'j1', stepId: 's0/run/t0', nodeId: 'run', state: 'running', attempts: 3, startedAt: 1, result: [1] }]);
    // Without the separator in any id, the fast path gives the same answer.
    await store.createJob(newJob('j2', { cluster: 'c2' }));
    const l2 = await store.acquireLease('j2', 'h', 60_000, 0);
    await store.commit(l2, { at: 1, steps: odd.slice(1).map((stepId) => ({ stepId, state: 'skipped' as const, attempts: 0 })) });
    expect([...(await store.getResumeRecords('j2')).completedStepIds].sort()).toEqual(odd.slice(1).sort());
  });

  it('returns the same frozen plan object for a job, so large plans are parsed once', async () => {
    const store = await openStore(dbPath());
    await store.createJob(newJob('j1'));
    const a = await store.getJob('j1');
    const b = (await store.listJobs())[0]!;
    expect(a.plan).toBe(b.plan);
    expect(Object.isFrozen(a.plan.steps[0])).toBe(true);
  });

  it('a token of 0 (never leased) is stale', async () => {
    const store = await openStore(dbPath());
    await store.createJob(newJob('j1'));
    const err = await rejection(store.commit({ jobId: 'j1', holder: 'h', token: 0, expiresAt: 1 }, { at: 1, job: { state: 'running' } }));
    expect(err).toBeInstanceOf(StaleFencingTokenError);
    expect(await rejection(store.commit({ jobId: 'nope', holder: 'h', token: 1, expiresAt: 1 }, { at: 1 }))).toBeInstanceOf(JobNotFoundError);
  });
});

describe('SqliteStore: leases across connections (a zombie runner)', () => {
  it('a runner whose lease expired and was taken over by another process cannot write', async () => {
    const file = dbPath();
    const zombie = await openStore(file);
    const successor = await openStore(file);
    await zombie.createJob(newJob('j1'));
    const old = await zombie.acquireLease('j1', 'zombie', 1_000, 10_000);
    await zombie.commit(old, { at: 10_001, job: { state: 'running' }, steps: [{ stepId: 's0', state: 'running', attempts: 1, startedAt: 10_001 }] });

    // The zombie is still alive while its lease holds: nobody can take over.
    expect(await rejection(successor.acquireLease('j1', 'successor', 1_000, 10_500))).toBeInstanceOf(LeaseHeldError);
    const fresh = await successor.acquireLease('j1', 'successor', 1_000, 11_000);
    expect(fresh.token).toBe(2);

    const err = await rejection(zombie.commit(old, { at: 11_100, steps: [{ stepId: 's0', state: 'succeeded', attempts: 1, finishedAt: 11_100 }], events: [{ type: 'step.succeeded', data: {} }] }));
    expect(err).toBeInstanceOf(StaleFencingTokenError);
    expect(err.message).toContain('another runner has taken this job over');
    expect(await rejection(zombie.renewLease(old, 1_000, 11_200))).toBeInstanceOf(StaleFencingTokenError);
    expect(await rejection(zombie.releaseLease(old))).toBeInstanceOf(StaleFencingTokenError);
    // And it cannot grab the lease back while the successor's is valid.
    expect(await rejection(zombie.acquireLease('j1', 'zombie', 1_000, 11_500))).toBeInstanceOf(LeaseHeldError);

    expect(await successor.getSteps('j1')).toEqual([{ jobId: 'j1', stepId: 's0', state: 'running', attempts: 1, startedAt: 10_001 }]);
    expect(await successor.listEvents('j1')).toEqual([]);
    await successor.commit(fresh, { at: 11_300, steps: [{ stepId: 's0', state: 'succeeded', attempts: 2, finishedAt: 11_300 }] });
    expect((await zombie.getSteps('j1'))[0]).toMatchObject({ state: 'succeeded', attempts: 2 });
  });
});

describe('SqliteStore: a vanished database file', () => {
  it('fails every later write with StoreUnavailableError instead of recording into a deleted file', async () => {
    const file = dbPath();
    const store = await openStore(file);
    await store.createJob(newJob('j1'));
    const lease = await store.acquireLease('j1', 'h', 60_000, 0);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    const err = await rejection(store.commit(lease, { at: 1, job: { state: 'running' } }));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain('deleted or replaced');
    expect(await rejection(store.renewLease(lease, 1_000, 2))).toBeInstanceOf(StoreUnavailableError);
  });

  it('after close every call fails with StoreUnavailableError', async () => {
    const store = await SqliteStore.open(dbPath());
    await store.close();
    await store.close();
    expect(await rejection(store.getJob('j1'))).toBeInstanceOf(StoreUnavailableError);
    expect(await rejection(store.createJob(newJob('j1')))).toBeInstanceOf(StoreUnavailableError);
  });
});

describe('SqliteStore: unknown jobs', () => {
  it('getSteps and listEvents of an unknown job throw JobNotFoundError; a known job without records gives []', async () => {
    const store = await openStore(dbPath());
    expect(await rejection(store.getSteps('nope'))).toBeInstanceOf(JobNotFoundError);
    expect(await rejection(store.listEvents('nope'))).toBeInstanceOf(JobNotFoundError);
    await store.createJob(newJob('j1'));
    expect(await store.getSteps('j1')).toEqual([]);
    expect(await store.listEvents('j1')).toEqual([]);
  });
});

describe('SqliteStore: updatedAt', () => {
  it('follows every commit and control request exactly as MemoryStore does, though step transitions do not rewrite the job row', async () => {
    const file = dbPath();
    const sqlite = await openStore(file);
    const memory = new MemoryStore();
    const stores: JobStore[] = [sqlite, memory];
    const leases: Lease[] = [];
    for (const store of stores) {
      await store.createJob(newJob('j1', { at: 1_000 }));
      await store.createJob(newJob('other', { at: 1_500, cluster: 'c2' }));
      leases.push(await store.acquireLease('j1', 'h', 60_000, 2_000));
    }
    const ops: ((store: JobStore, lease: Lease) => Promise<void>)[] = [
      (s, l) => s.commit(l, { at: 3_000, job: { state: 'running' }, events: [{ type: 'job.started', data: {} }] }),
      (s, l) => s.commit(l, { at: 4_000, steps: [{ stepId: 's0', state: 'running', attempts: 1 }], events: [{ type: 'step.started', data: {} }] }),
      (s, l) => s.commit(l, { at: 3_500, steps: [{ stepId: 's0', state: 'succeeded', attempts: 1 }], events: [{ type: 'step.succeeded', data: {} }] }),
      (s) => s.requestControl('j1', 'pause', 5_000),
      (s, l) => s.commit(l, { at: 6_000, steps: [{ stepId: 's1', state: 'running', attempts: 1 }] }),
      (s, l) => s.commit(l, { at: 7_000, events: [{ type: 'note', data: {} }] }),
      async (s) => {
        const other = await s.acquireLease('other', 'h', 60_000, 7_500);
        await s.commit(other, { at: 7_600, events: [{ type: 'other', data: {} }] });
      },
      (s, l) => s.commit(l, { at: 8_000, job: { state: 'paused', clearControl: true }, events: [{ type: 'job.paused', data: {} }] }),
      (s, l) => s.commit(l, { at: 9_000, steps: [{ stepId: 's1', state: 'running', attempts: 2 }], events: [{ type: 'x', data: {} }] }),
    ];
    for (const [i, op] of ops.entries()) {
      for (const [k, store] of stores.entries()) await op(store, leases[k]!);
      const [a, b] = await Promise.all(stores.map((st) => st.getJob('j1')));
      expect({ op: i, updatedAt: a!.updatedAt, control: a!.control }).toEqual({ op: i, updatedAt: b!.updatedAt, control: b!.control });
      expect((await sqlite.listJobs({ cluster: 'c1' }))[0]!.updatedAt).toBe(b!.updatedAt);
      expect((await sqlite.getJob('other')).updatedAt).toBe((await memory.getJob('other')).updatedAt);
    }
    // The last transition only appended an event; the row still shows the pause.
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.prepare("SELECT updated_at FROM jobs WHERE id = 'j1'").pluck().get()).toBe(new Date(8_000).toISOString());
    } finally {
      raw.close();
    }
  });
});
