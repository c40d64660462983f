import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Engine, MemoryStore, PluginRegistry, VirtualClock, definePlugin, type NodeCondition } from '@scylla-cp/core';
import { T0, inventory, planOf, secs, spec, testPlugin } from './engine-fixtures.js';

/**
 * Issue 15: gates planned as `TaskSpec.preconditions` are enforced by the engine: no node task
 * starts while a gate does not hold, and a gate that never holds fails the step at its timeout.
 */
function gatedHarness(openAtSeconds: number) {
  const clock = new VirtualClock({ startMs: T0 });
  const started: Array<{ node: string; at: number }> = [];
  const polls: number[] = [];
  const gate: NodeCondition = {
    name: () => 'gate-open',
    check: async () => {
      polls.push(secs(clock));
      const ok = secs(clock) >= openAtSeconds;
      return { ok, detail: ok ? 'open' : 'closed' };
    },
  };
  const registry = new PluginRegistry()
    .register(
      testPlugin({
        w: async (ctx) => {
          started.push({ node: (ctx as { node: { id: string } }).node.id, at: secs(clock) });
        },
      }),
    )
    .register(
      definePlugin({
        name: 'gate-plugin',
        version: '1.0.0',
        conditions: { 'gate-open': { scope: 'node', description: 'opens at a set time', params: z.object({}).strict(), create: () => gate } },
      }),
    );
  const engine = new Engine({ seed: 7, retryJitterRatio: 0, store: new MemoryStore(), registry, clock });
  const gated = spec('w', { preconditions: [{ condition: { $tag: 'gate-open', value: {} }, pollIntervalSeconds: 5, timeoutSeconds: 100 }] });
  return { clock, engine, started, polls, gated };
}

describe('planned preconditions (gates) are enforced by the engine', () => {
  test('no node task starts before its gate holds', async () => {
    const h = gatedHarness(30);
    const job = await h.engine.start(planOf(inventory(1, 2), [h.gated]), { operator: 'o', workflowText: '', jobId: 'g1' });
    const out = await h.clock.run(job.done);
    expect(out.state).toBe('succeeded');
    expect(h.started.length).toBe(2);
    for (const s of h.started) expect(s.at).toBeGreaterThanOrEqual(30);
    expect(h.polls.filter((p) => p < 30).length).toBeGreaterThan(0);
  });

  test('a gate that never holds fails the step at its timeout, and the task never runs', async () => {
    const h = gatedHarness(Number.POSITIVE_INFINITY);
    const job = await h.engine.start(planOf(inventory(1, 1), [h.gated]), { operator: 'o', workflowText: '', jobId: 'g2' });
    const out = await h.clock.run(job.done);
    expect(out.state).toBe('failed');
    expect(h.started).toEqual([]);
    expect(Math.max(...h.polls)).toBeGreaterThanOrEqual(95);
  });
});
