import { describe, expect, it } from 'vitest';
import { SystemClock, VirtualClock } from '@scylla-cp/core';

describe('VirtualClock', () => {
  it('fires timers in time order, same-instant timers in creation order, only when advanced', async () => {
    const clock = new VirtualClock({ startMs: 1000 });
    const fired: string[] = [];
    void clock.sleep(300).then(() => fired.push(`c@${clock.now()}`));
    void clock.sleep(100).then(() => fired.push(`a@${clock.now()}`));
    void clock.sleep(100).then(() => fired.push(`b@${clock.now()}`));
    await clock.advance(99);
    expect(fired).toEqual([]);
    await clock.advance(150);
    expect(fired).toEqual(['a@1100', 'b@1100']);
    expect(clock.now()).toBe(1249);
    await clock.advanceTo(5000);
    expect(fired).toEqual(['a@1100', 'b@1100', 'c@1300']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an aborted sleep rejects with the reason and its timer is removed', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal).catch((e: unknown) => e);
    expect(clock.pendingTimers).toBe(1);
    ac.abort(new Error('stop'));
    expect(((await p) as Error).message).toBe('stop');
    expect(clock.pendingTimers).toBe(0);
    const pre = new AbortController();
    pre.abort();
    await expect(clock.sleep(5, pre.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('run() jumps time to the next timer while the work is idle, and detects deadlocks and runaway time', async () => {
    const clock = new VirtualClock({ startMs: 0 });
    const value = await clock.run(async () => {
      await clock.sleep(3_600_000);
      await clock.sleep(1);
      return 'done';
    });
    expect(value).toBe('done');
    expect(clock.now()).toBe(3_600_001);
    await expect(clock.run(new Promise(() => {}))).rejects.toThrow(/deadlock/);
    const loop = async () => {
      for (;;) await clock.sleep(1000);
    };
    await expect(clock.run(loop, { maxVirtualMs: 10_000 })).rejects.toThrow(/maxVirtualMs/);
  });
});

describe('SystemClock', () => {
  it('sleeps in real time and rejects when aborted', async () => {
    const clock = new SystemClock();
    const t0 = performance.now();
    await clock.sleep(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    const ac = new AbortController();
    const p = clock.sleep(10_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(1000);
  });
});
