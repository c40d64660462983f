// Issue 12: a pause or cancel recorded by another process is seen by the runner's next read
// (the engine reads before every step); a request for a job whose runner is dead stays recorded.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { newJob, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('a control request written through another connection is visible to the next getJob, and stays until a commit clears it', async () => {
  const file = path.join(tmp.dir, 'control.db');
  const runner = await SqliteStore.open(file);
  const operator = await SqliteStore.open(file);
  try {
    await runner.createJob(newJob('j1', { at: 1_000 }));
    const lease = await runner.acquireLease('j1', 'host-a:123:00ff00ff00ff00ff', 1_000, 1_000);
    await runner.commit(lease, { at: 1_001, job: { state: 'running' } });
    expect((await runner.getJob('j1')).control).toBeUndefined(); // cached plan, row read
    for (const action of ['pause', 'cancel', 'cancel-now'] as const) {
      await operator.requestControl('j1', action, 2_000);
      expect((await runner.getJob('j1')).control).toBe(action);
    }
    // The runner dies (its lease expires): the request is still there for the next resume.
    const next = await operator.acquireLease('j1', 'host-b:456:0123456789abcdef', 1_000, 10_000);
    expect((await operator.getJob('j1')).control).toBe('cancel-now');
    await operator.commit(next, { at: 10_001, job: { state: 'cancelled', clearControl: true } });
    const after = await runner.getJob('j1');
    expect([after.state, after.control]).toEqual(['cancelled', undefined]);
  } finally {
    await runner.close();
    await operator.close();
  }
});
