import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  ConditionTimeoutError,
  CORE_PLUGIN_NAME,
  corePlugin,
  definePlugin,
  InvalidInputError,
  PluginRegistry,
  ServiceRegistry,
  silentLogger,
  UnrecoverableError,
  VirtualClock,
  type ClusterCondition,
  type ClusterExecutionContext,
  type ExecuteClusterTask,
  type ExecuteNodeTask,
  type NodeCondition,
  type NodeExecutionContext,
} from '@scylla-cp/core';

const inventory = { name: 'c', connection: {}, nodes: [{ id: 'n1', address: '10.0.0.1', dc: 'd', rack: 'r', zone: 'r', labels: {}, connection: {} }] };

function ctxFor(clock: VirtualClock, signal = new AbortController().signal): NodeExecutionContext {
  const job = { id: 'j1', operator: 'op', variables: {}, workflowName: 'w' };
  return {
    inventory,
    job,
    logger: silentLogger,
    clock,
    signal,
    services: new ServiceRegistry().bind({ inventory, job, clock, signal, node: inventory.nodes[0] }),
    attempt: 1,
    stepId: 's0/n1/t0',
    node: inventory.nodes[0]!,
  };
}

/** A test plugin whose conditions become true after `okAfterPolls` polls, and log the order of polls. */
function countingPlugin(log: string[]) {
  const make = (name: string, okAfter: number) => {
    let polls = 0;
    return {
      name: () => name,
      check: async () => {
        polls++;
        log.push(`${name}#${polls}`);
        return { ok: polls >= okAfter, detail: `poll ${polls}` };
      },
    };
  };
  return definePlugin({
    name: 'counting',
    version: '1.0.0',
    conditions: {
      'ready-after': {
        description: 'ok after n polls',
        scope: 'node',
        params: z.strictObject({ name: z.string(), polls: z.int().min(1) }),
        create: (p): NodeCondition => make((p as { name: string }).name, (p as { polls: number }).polls),
      },
      'cluster-ready-after': {
        description: 'ok after n polls (cluster)',
        scope: 'cluster',
        params: z.strictObject({ name: z.string(), polls: z.int().min(1) }),
        create: (p): ClusterCondition => make((p as { name: string }).name, (p as { polls: number }).polls),
      },
    },
  });
}

describe('corePlugin', () => {
  test('registers its tags with the documented kinds', () => {
    const r = new PluginRegistry().register(corePlugin);
    expect(corePlugin.name).toBe(CORE_PLUGIN_NAME);
    expect(r.tags().map((t) => `${t.kind}:${t.tag}`).sort()).toEqual([
      'clusterTask:approval',
      'clusterTask:node-workflow',
      'clusterTask:sleep',
      'clusterTask:wait-for-conditions',
      'nodeTask:sleep',
      'nodeTask:wait-for-conditions',
    ]);
  });

  test('!node-workflow is never executed: doing so fails with a clear unrecoverable error', async () => {
    const r = new PluginRegistry().register(corePlugin);
    const task = r.create('clusterTask', 'node-workflow', { name: 'x', node_tasks: [{ task: { $tag: 'sleep', value: { seconds: 1 } } }] }) as ExecuteClusterTask;
    expect(task.name()).toBe('node-workflow');
    expect(task.preconditions()).toEqual([]);
    const err = await task.execute(ctxFor(new VirtualClock())).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as UnrecoverableError).code).toBe('NODE_WORKFLOW_EXECUTED');
    expect((err as Error).message).toMatch(/expanded into per-node steps by plan\(\)/);
  });

  test('!wait-for-conditions waits for each condition in order, with its own timing', async () => {
    const log: string[] = [];
    const r = new PluginRegistry().register(corePlugin, countingPlugin(log));
    const task = r.create('nodeTask', 'wait-for-conditions', {
      conditions: [
        { condition: { $tag: 'ready-after', value: { name: 'a', polls: 3 } }, poll_interval_seconds: 10 },
        { condition: { $tag: 'cluster-ready-after', value: { name: 'b', polls: 1 } }, success_window_seconds: 20, poll_interval_seconds: 5 },
      ],
    }) as ExecuteNodeTask;
    const clock = new VirtualClock();
    const start = clock.now();
    const result = await clock.run(() => task.execute(ctxFor(clock)));
    // a: polls at 0, 10, 20 s (ok on the third); b: ok at 20 s, held through 25, 30, 35, 40 s (window 20 s).
    expect(log).toEqual(['a#1', 'a#2', 'a#3', 'b#1', 'b#2', 'b#3', 'b#4', 'b#5']);
    expect(clock.now() - start).toBe(40_000);
    expect(result).toEqual({ results: [{ ok: true, detail: 'poll 3' }, { ok: true, detail: 'poll 5' }] });
  });

  test('!wait-for-conditions fails with ConditionTimeoutError when a condition never holds', async () => {
    const r = new PluginRegistry().register(corePlugin, countingPlugin([]));
    const task = r.create('nodeTask', 'wait-for-conditions', {
      conditions: [{ condition: { $tag: 'ready-after', value: { name: 'slow', polls: 100 } }, poll_interval_seconds: 1, timeout_seconds: 5 }],
    }) as ExecuteNodeTask;
    const clock = new VirtualClock();
    await expect(clock.run(() => task.execute(ctxFor(clock)))).rejects.toBeInstanceOf(ConditionTimeoutError);
  });

  test('at cluster level a node condition is refused when the task is built', () => {
    const r = new PluginRegistry().register(corePlugin, countingPlugin([]));
    expect(() => r.create('clusterTask', 'wait-for-conditions', { conditions: [{ condition: { $tag: 'ready-after', value: { name: 'a', polls: 1 } } }] })).toThrow(
      InvalidInputError,
    );
    expect(() =>
      r.create('clusterTask', 'wait-for-conditions', { conditions: [{ condition: { $tag: 'cluster-ready-after', value: { name: 'a', polls: 1 } } }] }),
    ).not.toThrow();
  });

  test('!wait-for-conditions validates nested condition parameters and tags', () => {
    const r = new PluginRegistry().register(corePlugin, countingPlugin([]));
    expect(() => r.create('nodeTask', 'wait-for-conditions', { conditions: [{ condition: { $tag: 'ready-after', value: { name: 'a' } } }] })).toThrow(/invalid parameters for !ready-after/);
    expect(() => r.create('nodeTask', 'wait-for-conditions', { conditions: [{ condition: { $tag: 'nope', value: {} } }] })).toThrow(/unknown condition tag !nope/);
    expect(() => r.create('nodeTask', 'wait-for-conditions', { conditions: [] })).toThrow(/conditions needs at least one condition/);
  });

  test('!sleep sleeps on the job clock and honours the abort signal', async () => {
    const r = new PluginRegistry().register(corePlugin);
    const clock = new VirtualClock();
    const start = clock.now();
    const task = r.create('nodeTask', 'sleep', { seconds: 2.5 }) as ExecuteNodeTask;
    await clock.run(() => task.execute(ctxFor(clock)));
    expect(clock.now() - start).toBe(2500);

    const ac = new AbortController();
    const cluster = r.create('clusterTask', 'sleep', { seconds: 60 }) as ExecuteClusterTask;
    const p = cluster.execute(ctxFor(clock, ac.signal) as ClusterExecutionContext);
    await clock.advance(1000);
    ac.abort(new Error('operator aborted'));
    await expect(p).rejects.toThrow('operator aborted');
    expect(() => r.create('nodeTask', 'sleep', { seconds: -1 })).toThrow(/invalid parameters for !sleep/);
  });
});
