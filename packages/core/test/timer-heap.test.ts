import { expect, test } from 'vitest';
import { Prng, TimerHeap } from '@scylla-cp/core';

const SEED = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31;
console.log(`timer-heap property: SEED=${SEED}`);

test('pops in (at, seq) order through random pushes, pops and removals, like a sorted list (SEED printed)', () => {
  const prng = new Prng(SEED);
  const heap = new TimerHeap<{ at: number; seq: number }>();
  let model: { at: number; seq: number }[] = [];
  let seq = 0;
  const order = (a: { at: number; seq: number }, b: { at: number; seq: number }) => a.at - b.at || a.seq - b.seq;
  for (let i = 0; i < 5_000; i++) {
    const op = prng.nextUint32() % 4;
    if (op <= 1) {
      const t = { at: prng.nextUint32() % 50, seq: seq++ }; // few distinct times: many ties
      heap.push(t);
      model.push(t);
    } else if (op === 2) {
      model.sort(order);
      expect(heap.pop(), `SEED=${SEED} step ${i}`).toBe(model.shift());
    } else if (model.length > 0) {
      const victim = model[prng.nextUint32() % model.length]!;
      expect(heap.remove(victim)).toBe(true);
      model = model.filter((t) => t !== victim);
      expect(heap.remove(victim)).toBe(false);
    }
    expect(heap.size).toBe(model.length);
    expect(heap.peek()).toBe([...model].sort(order)[0]);
  }
  const rest = heap.clear();
  expect(rest.length).toBe(model.length);
  expect(heap.size).toBe(0);
  expect(heap.pop()).toBeUndefined();
});
