// Issue 15 item 7: progress-aware waits (stall_timeout_seconds).
import { describe, expect, it } from 'vitest';
import { ConditionCheck, ConditionTimeoutError, parseInventory, parseWorkflow, plan, plannedPreconditionChecks, VirtualClock, type NodeWorkflowStep, waitForCondition, type ClusterCondition, type ClusterExecutionContext, type ConditionResult } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

/** Pending work that falls by `rate` per second until `floor`, then stays; holds at 0. */
function draining(clock: VirtualClock, from: number, rate: number, floor = 0, better: 'lower' | 'higher' = 'lower'): ClusterCondition {
  const t0 = clock.now();
  return {
    name: () => 'draining',
    async check(): Promise<ConditionResult> {
      const pending = Math.max(floor, from - Math.floor(((clock.now() - t0) / 1000) * rate));
      const value = better === 'lower' ? pending : 100 - pending;
      return { ok: pending === 0, detail: `pending ${pending}`, progress: { measure: better === 'lower' ? 'pending compactions' : 'streaming %', value, better } };
    },
  };
}

function ctxOf(clock: VirtualClock): ClusterExecutionContext {
  return { clock, signal: new AbortController().signal, inventory: { name: 'c', nodes: [], connection: {} }, job: { id: 'j', operator: 'o', variables: {}, workflowName: 'w' }, logger: console as never, services: { get: () => undefined as never, has: () => false }, attempt: 1, stepId: 's0' };
}

async function outcome(clock: VirtualClock, check: ConditionCheck): Promise<{ at: number; error?: unknown }> {
  const t0 = clock.now();
  try {
    await clock.run(waitForCondition(check, ctxOf(clock)));
    return { at: (clock.now() - t0) / 1000 };
  } catch (error) {
    return { at: (clock.now() - t0) / 1000, error };
  }
}

describe('stall_timeout_seconds', () => {
  it('without it, a wait fails at its timeout even while the work is visibly progressing (the defect)', async () => {
    const clock = new VirtualClock();
    const r = await outcome(clock, new ConditionCheck(draining(clock, 100, 0.25), { pollIntervalSeconds: 5, timeoutSeconds: 60 }));
    expect(r.at).toBe(60);
    expect(r.error).toBeInstanceOf(ConditionTimeoutError);
  });

  it('keeps waiting past the timeout while pending work falls, and passes when it is done', async () => {
    const clock = new VirtualClock();
    const r = await outcome(clock, new ConditionCheck(draining(clock, 100, 0.25), { pollIntervalSeconds: 5, timeoutSeconds: 60, stallTimeoutSeconds: 30 }));
    expect(r.error).toBeUndefined();
    expect(r.at).toBe(400); // 100 pending at 0.25/s
  });

  it('fails once the measure stopped improving for stall_timeout_seconds, saying where it stalled', async () => {
    const clock = new VirtualClock();
    // falls 100 -> 40 in 120 s, then stuck at 40
    const r = await outcome(clock, new ConditionCheck(draining(clock, 100, 0.5, 40), { pollIntervalSeconds: 5, timeoutSeconds: 60, stallTimeoutSeconds: 30 }));
    expect(r.error).toBeInstanceOf(ConditionTimeoutError);
    expect(r.at).toBe(150); // last improvement at the 120 s poll + 30 s
    expect((r.error as Error).message).toContain('pending compactions stalled at 40 (best 40)');
  });

  it('a rising measure (better: higher) counts too; a stall before the timeout still waits for the timeout', async () => {
    const clock = new VirtualClock();
    const r = await outcome(clock, new ConditionCheck(draining(clock, 100, 1, 0, 'higher'), { pollIntervalSeconds: 5, timeoutSeconds: 60, stallTimeoutSeconds: 20 }));
    expect(r.error).toBeUndefined();
    expect(r.at).toBe(100);
    const clock2 = new VirtualClock();
    const stuck = await outcome(clock2, new ConditionCheck(draining(clock2, 100, 10, 90), { pollIntervalSeconds: 5, timeoutSeconds: 60, stallTimeoutSeconds: 10 }));
    expect(stuck.at).toBe(60);
  });

  it('a condition that reports no progress times out as usual', async () => {
    const clock = new VirtualClock();
    const never: ClusterCondition = { name: () => 'never', check: async () => ({ ok: false, detail: 'no' }) };
    const r = await outcome(clock, new ConditionCheck(never, { pollIntervalSeconds: 5, timeoutSeconds: 60, stallTimeoutSeconds: 600 }));
    expect(r.at).toBe(60);
  });

  it('is a key of !wait-for-conditions entries, > 0, validated with its location, and reaches the ConditionCheck', () => {
    const registry = standInRegistry();
    const text = (v: string) =>
      `name: w\ncluster_tasks:\n  - task: !node-workflow\n      name: n\n      node_tasks:\n        - task: !wait-for-conditions\n            conditions:\n              - {condition: !node-up, timeout_seconds: 60, stall_timeout_seconds: ${v}}\n`;
    expect(() => parseWorkflow(text('0'), { registry, fileName: 'w.yaml' })).toThrow(/w\.yaml:8:\d+.*stall_timeout_seconds/s);
    const wf = parseWorkflow(text('120'), { registry, fileName: 'w.yaml' });
    const p = plan(wf, parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n'), {}, {}, { registry });
    const task = (p.steps[0] as NodeWorkflowStep).tasks[0]!;
    expect((task.params as { conditions: { stall_timeout_seconds?: number }[] }).conditions[0]!.stall_timeout_seconds).toBe(120);
    expect(() => new ConditionCheck({ name: () => 'x', check: async () => ({ ok: true, detail: '' }) }, { stallTimeoutSeconds: -1 })).toThrow(RangeError);
  });

  it('workflow gates take it too: planned onto every node task and given to the ConditionCheck', () => {
    const registry = standInRegistry();
    const wf = parseWorkflow(
      `name: w\ngates:\n  - {condition: !node-up, timeout_seconds: 60, stall_timeout_seconds: +stall+}\nvariables:\n  - {name: stall, type: integer}\ncluster_tasks:\n  - task: !node-workflow {name: n, node_tasks: [{task: !sleep {seconds: 1}}]}\n`,
      { registry, fileName: 'g.yaml' },
    );
    const p = plan(wf, parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n'), {}, { stall: '90' }, { registry });
    const spec = (p.steps[0] as NodeWorkflowStep).tasks[0]!;
    expect(spec.preconditions?.[0]).toMatchObject({ timeoutSeconds: 60, stallTimeoutSeconds: 90 });
    expect(plannedPreconditionChecks(spec, registry)[0]!.stallTimeoutSeconds).toBe(90);
    expect(() => plan(wf, parseInventory('name: c\nnodes:\n  - {id: n1, address: 10.0.0.1, dc: d, rack: r}\n'), {}, { stall: '0' }, { registry })).toThrow(/g\.yaml:3:\d+.*stall_timeout_seconds/);
  });
});
