import { describe, expect, it } from 'vitest';
import { StreamingProgress } from '../src/streaming-progress.js';

describe('StreamingProgress (the bookkeeping behind task_status progress)', () => {
  it('a request streamed by several nodes at once (removenode) reports the share of their total streaming time', () => {
    const p = new StreamingProgress();
    expect(p.percent('r1', 0)).toBeUndefined();
    p.begin('r1', 'a', 1000, 0);
    p.begin('r1', 'b', 3000, 0);
    expect(p.percent('r1', 500)).toEqual({ total: 100, completed: 25 }); // (500 + 500) / 4000
    expect(p.endAt('r1', 'a', 500)).toBe(1000);
    p.finish('r1', 'a', 1000);
    expect(p.percent('r1', 2000)).toEqual({ total: 100, completed: 75 }); // (1000 + 2000) / 4000
  });

  it('a stalled node makes no progress and has no end until resumed; a halted stream (died) is not resumed', () => {
    const p = new StreamingProgress();
    p.begin('r1', 'a', 1000, 0);
    p.setStalled('a', true, 400);
    expect(p.endAt('r1', 'a', 900)).toBe(Number.POSITIVE_INFINITY);
    expect(p.percent('r1', 5000)?.completed).toBe(40);
    p.setStalled('a', false, 5000);
    expect(p.endAt('r1', 'a', 5000)).toBe(5600);
    expect(p.percent('r1', 5100)?.completed).toBe(50);
    p.halt('r1', 'a', 5100);
    p.setStalled('a', false, 6000);
    expect(p.percent('r1', 9000)?.completed).toBe(50);
    // a later stream of a stalled node starts stalled; a restarted stream starts from 0
    p.setStalled('b', true, 0);
    p.begin('r2', 'b', 100, 0);
    expect(p.percent('r2', 50)?.completed).toBe(0);
    p.begin('r1', 'a', 1000, 9000);
    expect(p.percent('r1', 9100)?.completed).toBe(10);
  });
});
