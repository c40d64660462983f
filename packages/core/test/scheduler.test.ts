import { describe, expect, it } from 'vitest';
import { Prng, type NodeExecutionContext, type NodeWorkflowStep } from '@scylla-cp/core';
import { T0, harness, inventory, planOf, spec, testSeed } from './engine-fixtures.js';

describe('scheduler: the benchmark scenario, scaled down', () => {
  it('3 zones x 150 nodes, 4 tasks (one a 30-90 s restart), limit 5: makespan equals in-order greedy list scheduling, near the lower bound', async () => {
    const seed = testSeed(7);
    const prng = new Prng(seed);
    const inv = inventory(3, 150);
    const restartMs = new Map(inv.nodes.map((n) => [n.id, prng.int(30_000, 90_000)]));
    const plan = planOf(inv, [spec('noop'), spec('noop'), spec('restart'), spec('noop')], { unit: 'zone', limit: 5 });
    const h = harness({
      noop: async () => {},
      restart: (ctx) => ctx.clock.sleep(restartMs.get((ctx as NodeExecutionContext).node.id)!, ctx.signal),
    });
    let commits = 0;
    const commit = h.store.commit.bind(h.store);
    h.store.commit = async (lease, t) => {
      commits++;
      return commit(lease, t);
    };
    const job = await h.engine.start(plan, { operator: 'bench', workflowText: '', jobId: 'sched' });
    const outcome = await h.clock.run(job.done);
    expect(outcome).toMatchObject({ state: 'succeeded', stepsSucceeded: 1800 });

    let lowerBound = 0;
    let greedy = 0;
    for (const b of (plan.steps[0] as NodeWorkflowStep).batches) {
      const work = b.nodes.map((n) => restartMs.get(n)!);
      lowerBound += Math.max(work.reduce((a, x) => a + x, 0) / 5, Math.max(...work));
      // each node, in plan order, takes the slot that frees first (a rolling window)
      const slots = [0, 0, 0, 0, 0];
      for (const w of work) {
        const i = slots.indexOf(Math.min(...slots));
        slots[i]! += w;
      }
      greedy += Math.max(...slots);
    }
    const makespan = h.clock.now() - T0;
    expect(makespan).toBe(greedy);
    // greedy list scheduling is within one longest node (90 s) of the bound per zone
    expect(makespan).toBeGreaterThanOrEqual(lowerBound);
    expect(makespan).toBeLessThanOrEqual(lowerBound + 3 * 90_000);
    // per node of 4 steps: its first start, 3 hand-offs (a success with the next start), its
    // last success: 5 commits; plus the job's start and end
    expect(commits).toBe(450 * (4 + 1) + 2);
  });
});
