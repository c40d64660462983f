// Issue 17: `scylla_cp_jobs` (jobs by state) used to list up to 100,000 jobs per scrape. It now
// asks the store for counts (`countJobsByState`, one aggregate query): every job is counted and
// no job is listed.
import { describe, expect, it } from 'vitest';
import { MemoryStore, contractPlan, type JobQuery, type JobStore } from '@scylla-cp/core';
import { EngineMetrics } from '../src/index.js';

class ListCountingStore extends MemoryStore {
  lists = 0;
  override async listJobs(query?: JobQuery) {
    this.lists++;
    return super.listJobs(query);
  }
}

async function seed(store: JobStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.createJob({ id: `j${i}`, cluster: `c${i}`, operator: 'o', workflowName: 'w', workflowText: '', plan: contractPlan(`c${i}`), at: i });
  }
  const lease = await store.acquireLease('j0', 'h', 10_000, 1_000);
  await store.commit(lease, { at: 1_000, job: { state: 'succeeded' } });
}

const gauge = (text: string, state: string) => Number(new RegExp(`^scylla_cp_jobs\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);

describe('scylla_cp_jobs', () => {
  it('counts every job through countJobsByState, beyond maxJobsCounted, without listing jobs', async () => {
    const store = new ListCountingStore();
    await seed(store, 7);
    const metrics = new EngineMetrics({ store, processMetrics: false, maxJobsCounted: 3 });
    const text = await metrics.registry.metrics();
    expect(gauge(text, 'pending')).toBe(6);
    expect(gauge(text, 'succeeded')).toBe(1);
    expect(gauge(text, 'running')).toBe(0);
    expect(store.lists).toBe(0);
  });

  it('a store without countJobsByState: lists at most maxJobsCounted jobs (the fallback)', async () => {
    const store = new ListCountingStore();
    await seed(store, 7);
    const plain = new Proxy(store, {
      get: (t, p) => {
        if (p === 'countJobsByState') return undefined;
        const v = Reflect.get(t, p) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }) as JobStore;
    const metrics = new EngineMetrics({ store: plain, processMetrics: false, maxJobsCounted: 3 });
    const text = await metrics.registry.metrics();
    expect(gauge(text, 'pending') + gauge(text, 'succeeded')).toBe(3);
    expect(store.lists).toBe(1);
  });
});
