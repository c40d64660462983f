import { describe, expect, it } from 'vitest';
import { InvalidInputError, JobNotFoundError, MemoryStore, StoreUnavailableError, contractPlan } from '@scylla-cp/core';

const job = (id: string) => ({ id, cluster: 'c1', operator: 'o', workflowName: 'w', workflowText: '', plan: contractPlan('c1'), at: 1 });

describe('MemoryStore specifics', () => {
  it('stores its own deep-frozen copy of the plan', async () => {
    const store = new MemoryStore();
    const input = job('j');
    await store.createJob(input);
    input.plan.steps.length = 0;
    const got = await store.getJob('j');
    expect(got.plan.steps).toHaveLength(1);
    expect(Object.isFrozen(got.plan.steps[0])).toBe(true);
    expect(() => (got.plan.inventory.nodes as unknown[]).push({})).toThrow(TypeError);
  });

  it('refuses a duplicate job id with InvalidInputError', async () => {
    const store = new MemoryStore();
    await store.createJob({ ...job('j'), allowConcurrent: true });
    await expect(store.createJob({ ...job('j'), allowConcurrent: true })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('throws JobNotFoundError for the steps and events of an unknown job', async () => {
    const store = new MemoryStore();
    await expect(store.getSteps('x')).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(store.listEvents('x')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('after close every call throws StoreUnavailableError', async () => {
    const store = new MemoryStore();
    await store.createJob(job('j'));
    await store.close();
    await expect(store.getJob('j')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.createJob(job('k'))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('applies a commit atomically: a rejected commit leaves event sequence numbers unused', async () => {
    const store = new MemoryStore();
    await store.createJob(job('j'));
    const stale = await store.acquireLease('j', 'a', 1000, 0);
    const lease = await store.acquireLease('j', 'b', 1000, 5000);
    await expect(store.commit(stale, { at: 1, events: [{ type: 'x', data: {} }] })).rejects.toThrow();
    await store.commit(lease, { at: 2, events: [{ type: 'y', data: {} }] });
    expect((await store.listEvents('j')).map((e) => [e.seq, e.type])).toEqual([[1, 'y']]);
  });
});
