// JobStore.appendEvent: an audit event written without a lease (the server records who
// paused or cancelled a job that another replica runs), in order with the engine's events.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { JobNotFoundError } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { newJob, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('appendEvent needs no lease, keeps sequence order with commits, and leaves the job state alone', async () => {
  const file = path.join(tmp.dir, 'append.db');
  const store = await SqliteStore.open(file);
  const other = await SqliteStore.open(file);
  try {
    await store.createJob(newJob('j1', { at: 1_000 }));
    const lease = await store.acquireLease('j1', 'runner-a', 30_000, 1_000);
    await store.commit(lease, { at: 1_001, job: { state: 'running' }, events: [{ type: 'job.started', data: {} }] });
    const audit = await other.appendEvent('j1', { at: 1_002, type: 'api.pause', data: { caller: 'alice', role: 'operator' } });
    await store.commit(lease, { at: 1_003, events: [{ type: 'step.started', stepId: 's0', data: {} }] });
    const events = await store.listEvents('j1');
    expect(events.map((e) => e.type)).toEqual(['job.started', 'api.pause', 'step.started']);
    expect(events[1]).toEqual(audit);
    expect(audit).toMatchObject({ jobId: 'j1', at: 1_002, data: { caller: 'alice', role: 'operator' } });
    expect((await store.getJob('j1')).state).toBe('running');
    await expect(other.appendEvent('nope', { at: 1, type: 'x', data: {} })).rejects.toBeInstanceOf(JobNotFoundError);
  } finally {
    await store.close();
    await other.close();
  }
});
