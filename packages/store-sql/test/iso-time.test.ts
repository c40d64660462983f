import { describe, expect, it } from 'vitest';
import { Prng } from '@scylla-cp/core';
import { isoTime } from '../src/iso-time.js';

describe('isoTime', () => {
  it('prints exactly what Date.toISOString prints, across minute, day and year boundaries', () => {
    const seed = 20261121;
    console.log(`SEED=${seed}`);
    const prng = new Prng(seed);
    const edges = [0, 59_999, 60_000, 86_399_999, 86_400_000, 951_782_399_999, 1_767_225_599_999, 1_767_225_600_000, 253_402_300_799_999];
    const times: number[] = [...edges];
    // Runs of nearby times (the commit path's pattern), then far jumps back and forth.
    let t = 1_767_225_600_000;
    for (let i = 0; i < 20_000; i++) {
      t += prng.int(0, 1_500);
      times.push(t);
      if (i % 1_000 === 0) times.push(prng.int(0, 4_000_000_000_000), t - prng.int(0, 10_000_000));
    }
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('takes the Date path for fractional, negative and far-future times', () => {
    for (const ms of [1.5, 1_767_225_600_000.25, -1, -62_135_596_800_000, 253_402_300_800_000]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
