import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConcurrencyUnit, NodeExecutionContext, NodeWorkflowStep } from '@scylla-cp/core';
import { NodeObserver, T0, harness, inventory, planOf, spec, testSeed } from './engine-fixtures.js';

/** Greedy list scheduling (each node, in order, takes the earliest free slot): the exact rolling-window makespan. */
function rollingMakespan(durations: number[], limit: number): number {
  const slots = new Array<number>(Math.min(limit, durations.length)).fill(0);
  for (const d of durations) {
    let i = 0;
    for (let k = 1; k < slots.length; k++) if (slots[k]! < slots[i]!) i = k;
    slots[i] = slots[i]! + d;
  }
  return Math.max(0, ...slots);
}

describe('concurrency under many unit/limit combinations (property)', () => {
  it('never exceeds the limit, never overlaps units, refills freed slots at once, runs every node once', async () => {
    const seed = testSeed(20260101);
    const arb = fc.record({
      zones: fc.integer({ min: 1, max: 4 }),
      perZone: fc.integer({ min: 1, max: 7 }),
      racks: fc.integer({ min: 1, max: 3 }),
      dcs: fc.integer({ min: 1, max: 2 }),
      unit: fc.constantFrom<ConcurrencyUnit>('zone', 'rack', 'dc', 'node'),
      limit: fc.integer({ min: 1, max: 6 }),
      tasks: fc.integer({ min: 1, max: 3 }),
      durations: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 28, maxLength: 28 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (p) => {
        const inv = inventory(p.zones, p.perZone, { racksPerZone: p.racks, dcs: p.dcs });
        const durationOf = new Map(inv.nodes.map((n, i) => [n.id, p.durations[i % p.durations.length]!]));
        const plan = planOf(
          inv,
          Array.from({ length: p.tasks }, (_, t) => spec(t === 0 ? 'first' : t === p.tasks - 1 ? 'last' : 'mid')),
          { unit: p.unit, limit: p.limit },
        );
        const wf = plan.steps[0] as NodeWorkflowStep;
        const batchOf = new Map<string, string>();
        for (const b of wf.batches) for (const n of b.nodes) batchOf.set(n, b.id);
        const obs = new NodeObserver((n) => batchOf.get(n)!);
        const runs = new Map<string, number>();
        const at = () => h.clock.now() - T0;
        const id = (ctx: unknown) => (ctx as NodeExecutionContext).node.id;
        const begin = (ctx: unknown) => {
          obs.start(id(ctx), at());
          runs.set(id(ctx), (runs.get(id(ctx)) ?? 0) + 1);
        };
        const work = (ctx: unknown) => (ctx as NodeExecutionContext).clock.sleep(durationOf.get(id(ctx))! * 1000);
        const h = harness({
          first: async (ctx) => {
            begin(ctx);
            await work(ctx);
            if (p.tasks === 1) obs.end(id(ctx), at());
          },
          mid: async () => {},
          last: async (ctx) => void obs.end(id(ctx), at()),
        });
        const job = await h.engine.start(plan, { operator: 'prop', workflowText: '', jobId: 'p' });
        const outcome = await h.clock.run(job.done);
        expect(outcome.state).toBe('succeeded');
        expect(obs.overlaps).toEqual([]);
        for (const n of inv.nodes) expect(runs.get(n.id)).toBe(1);
        let expectedEnd = 0;
        for (const b of wf.batches) {
          expect(obs.maxActivePerUnit.get(b.id)).toBe(Math.min(p.limit, b.nodes.length));
          const start = Math.min(...obs.starts.filter((s) => batchOf.get(s.node) === b.id).map((s) => s.at));
          const end = Math.max(...obs.ends.filter((s) => batchOf.get(s.node) === b.id).map((s) => s.at));
          expect(start).toBe(expectedEnd); // the next unit starts the moment the previous one ends
          expect(end - start).toBe(rollingMakespan(b.nodes.map((n) => durationOf.get(n)! * 1000), p.limit));
          expectedEnd = end;
        }
        expect(obs.maxActive).toBeLessThanOrEqual(p.limit);
      }),
      { seed, numRuns: 120 },
    );
  });
});

describe('rolling window (examples)', () => {
  it('refills a freed slot at once instead of waiting for the slowest node of a round', async () => {
    const durations: Record<string, number> = { 'z0-n0': 10, 'z0-n1': 1, 'z0-n2': 1, 'z0-n3': 1, 'z0-n4': 4 };
    const starts: string[] = [];
    const h = harness({
      w: async (ctx) => {
        const n = (ctx as NodeExecutionContext).node.id;
        starts.push(`${n}@${(ctx.clock.now() - T0) / 1000}`);
        await ctx.clock.sleep(durations[n]! * 1000, ctx.signal);
      },
    });
    const job = await h.engine.start(planOf(inventory(1, 5), [spec('w')], { limit: 2 }), { operator: 'o', workflowText: '', jobId: 'rw' });
    await h.clock.run(job.done);
    expect(starts).toEqual(['z0-n0@0', 'z0-n1@0', 'z0-n2@1', 'z0-n3@2', 'z0-n4@3']);
    expect((h.clock.now() - T0) / 1000).toBe(10); // lock-step rounds would take 10 + 1 + 4 = 15
  });

  it('with concurrency_unit zone the next zone starts only when every node of the previous one is done', async () => {
    const starts: string[] = [];
    const h = harness({
      w: async (ctx) => {
        const n = (ctx as NodeExecutionContext).node;
        starts.push(`${n.id}@${(ctx.clock.now() - T0) / 1000}`);
        await ctx.clock.sleep(n.id === 'z0-n0' ? 20_000 : 5_000, ctx.signal);
      },
    });
    const job = await h.engine.start(planOf(inventory(2, 3), [spec('w')], { limit: 3 }), { operator: 'o', workflowText: '', jobId: 'z' });
    await h.clock.run(job.done);
    expect(starts).toEqual(['z0-n0@0', 'z0-n1@0', 'z0-n2@0', 'z1-n0@20', 'z1-n1@20', 'z1-n2@20']);
  });
});
