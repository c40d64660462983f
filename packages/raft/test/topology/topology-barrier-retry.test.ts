import { describe, expect, it } from 'vitest';
import { BarrierRetryTracker, DEFAULT_BARRIER_RETRY } from '../../src/index.js';
import { oneReplica } from './one-replica-topology.js';

describe('BarrierRetryTracker', () => {
  it('retries with a growing, capped delay, then gives up after maxAttempts with the reason', () => {
    const t = new BarrierRetryTracker({ maxAttempts: 5, backoff: 2, maxDelayMs: 300 }, 100);
    const delays: number[] = [];
    let now = 0;
    for (;;) {
      const d = t.failed('r1/write_both_read_new', now, 'n2 timed out');
      if (!d.retry) {
        expect(d).toMatchObject({ attempts: 5, elapsedMs: now });
        expect(d.reason).toMatch(/global barrier failed 5 time\(s\) over \d+ ms \(retry budget exhausted: 5 attempts, 30000 ms\): n2 timed out/);
        break;
      }
      delays.push(d.delayMs);
      now += d.delayMs;
    }
    expect(delays).toEqual([100, 200, 300, 300]);
  });

  it('gives up once maxElapsedMs would pass, and forgets a phase whose barrier succeeded', () => {
    const t = new BarrierRetryTracker({ maxAttempts: 100, maxElapsedMs: 1000, backoff: 1 }, 400);
    expect(t.failed('p', 0, 'x')).toMatchObject({ retry: true, delayMs: 400 });
    expect(t.failed('p', 400, 'x')).toMatchObject({ retry: true });
    expect(t.failed('p', 800, 'x')).toMatchObject({ retry: false, attempts: 3 });
    t.failed('q', 0, 'x');
    t.succeeded('q');
    expect(t.failed('q', 5000, 'x')).toMatchObject({ retry: true, attempt: 1 });
  });

  it('defaults, and refuses a nonsense policy', () => {
    expect(new BarrierRetryTracker().policy).toEqual({ ...DEFAULT_BARRIER_RETRY, delayMs: 100 });
    expect(() => new BarrierRetryTracker({ maxAttempts: 0 })).toThrow(/maxAttempts must be an integer >= 1/);
    expect(() => new BarrierRetryTracker({ delayMs: -1 })).toThrow(/delayMs must be a finite number of milliseconds/);
    expect(() => new BarrierRetryTracker({ backoff: 0.5 })).toThrow(/backoff must be >= 1/);
  });
});

describe('a failed barrier in a write-both phase', () => {
  // The defect: in write_both_read_new a failed barrier was retried every 100 ms forever, so a
  // node whose barrier kept failing held the decommission (and every request behind it) open.
  it('write_both_read_new: retried with a delay, a bounded number of times, then rolled back with the reason', async () => {
    const attempts: number[] = [];
    let failing = false;
    const { clock, coordinator, client, drive, sm } = oneReplica({
      failBarrier: (id, kind) => {
        if (!failing || id !== 'n2') return undefined;
        if (kind === 'barrier_and_drain') attempts.push(clock.now());
        return 'n2 does not answer';
      },
      coordinator: { barrierRetryDelayMs: 50, barrierRetry: { maxAttempts: 4, backoff: 2 } },
    });
    sm.onApply((c) => {
      if (c.type === 'step' && c.step.kind === 'streamed') failing = true;
    });
    coordinator.start();
    const out = await drive(client.request({ kind: 'leave', nodeId: 'n3' }), 10_000);
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/^Rolled back: write_both_read_new: global barrier failed 4 time\(s\) over 350 ms \(retry budget exhausted: 4 attempts, 30000 ms\): .*n2 does not answer/);
    // 4 attempts, 50, 100 and 200 ms apart
    expect(attempts.slice(0, 4).map((t, i, a) => (i === 0 ? 0 : t - a[i - 1]!))).toEqual([0, 50, 100, 200]);
    expect(sm.state.nodes.n3?.state).toBe('normal');
    expect(sm.state.transition).toBeNull();
    await coordinator.stop();
  });

  it('write_both_read_old: a transient barrier failure is retried (it used to roll back at once), and the operation completes', async () => {
    // barrier_and_drain and the plain barrier after it both fail on n2, in two attempts
    let failures = 2;
    const { coordinator, client, drive, sm, events } = oneReplica({
      failBarrier: (id, kind) => {
        if (sm.state.tstate !== 'write_both_read_old' || id !== 'n2' || failures <= 0) return undefined;
        if (kind === 'barrier') failures--;
        return 'n2 hiccup';
      },
      coordinator: { barrierRetryDelayMs: 20 },
    });
    coordinator.start();
    const out = await drive(client.request({ kind: 'leave', nodeId: 'n3' }), 10_000);
    expect(out).toMatchObject({ status: 'done' });
    expect(events.filter((e) => e.type === 'retry').length).toBe(2);
    expect(failures).toBe(0);
    expect(sm.state.nodes.n3?.state).toBe('left');
    await coordinator.stop();
  });
});
