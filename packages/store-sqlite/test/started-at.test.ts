// Issue 12: `steps.started_at` keeps the first attempt's time. A resumed (or retried) step
// is re-attempted with a new start time; the record must still say when it first started.
import { expect, it } from 'vitest';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { newJob } from './helpers.js';

it('started_at keeps the first attempt time across later attempts and resumes', async () => {
  const store = await SqliteStore.open(':memory:');
  try {
    await store.createJob(newJob('j1', { at: 1_000 }));
    const first = await store.acquireLease('j1', 'runner-1', 60_000, 1_000);
    await store.commit(first, { at: 5_000, steps: [{ stepId: 's0', state: 'running', attempts: 1, startedAt: 5_000 }] });
    // The runner dies; a resume re-attempts the step and sends its own start time.
    const second = await store.acquireLease('j1', 'runner-2', 60_000, 100_000);
    await store.commit(second, { at: 120_000, steps: [{ stepId: 's0', state: 'running', attempts: 2, startedAt: 120_000 }] });
    await store.commit(second, { at: 130_000, steps: [{ stepId: 's0', state: 'succeeded', attempts: 2, finishedAt: 130_000 }] });
    expect(await store.getSteps('j1')).toEqual([{ jobId: 'j1', stepId: 's0', state: 'succeeded', attempts: 2, startedAt: 5_000, finishedAt: 130_000 }]);
  } finally {
    await store.close();
  }
});
