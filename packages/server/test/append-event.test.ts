import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobNotFoundError, MemoryStore, type JobPlan, type JobStore } from '@scylla-cp/core';
import { SqliteStore } from '@scylla-cp/store-sqlite';

// The server records every mutating API call with its caller through
// JobStore.appendEvent (no lease needed: the job may be run by another replica).

const plan: JobPlan = { formatVersion: 1, workflowName: 'w', cluster: 'c1', inventory: { cluster: 'c1', nodes: [] } as unknown as JobPlan['inventory'], targeting: {}, variables: {}, steps: [] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scp-append-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => Promise<JobStore>][] = [
  ['MemoryStore', async () => new MemoryStore()],
  ['SqliteStore', async () => SqliteStore.open(path.join(dir, 'append.db'))],
];

describe.each(stores)('%s.appendEvent', (_name, open) => {
  it('appends after the engine events, keeps order across writers, leaves the job state alone', async () => {
    const store = await open();
    try {
      await store.createJob({ id: 'j1', cluster: 'c1', operator: 'op', workflowName: 'w', workflowText: 'x', plan, at: 1000 });
      const lease = await store.acquireLease('j1', 'runner-a', 30_000, 1000);
      await store.commit(lease, { at: 1001, job: { state: 'running' }, events: [{ type: 'job.started', data: {} }] });
      const audit = await store.appendEvent!('j1', { at: 1002, type: 'api.pause', data: { caller: 'alice', role: 'operator' } });
      await store.commit(lease, { at: 1003, events: [{ type: 'step.running', stepId: 's1', data: {} }] });
      const events = await store.listEvents('j1');
      expect(events.map((e) => e.type)).toEqual(['job.started', 'api.pause', 'step.running']);
      expect(events[1]).toMatchObject({ seq: audit.seq, at: 1002, type: 'api.pause', data: { caller: 'alice', role: 'operator' } });
      expect(events[0]!.seq).toBeLessThan(audit.seq);
      expect(audit.seq).toBeLessThan(events[2]!.seq);
      expect((await store.getJob('j1')).state).toBe('running');
      await expect(store.appendEvent!('nope', { at: 1, type: 'x', data: {} })).rejects.toBeInstanceOf(JobNotFoundError);
    } finally {
      await store.close();
    }
  });
});
