// Issue 12, "The quorum guard counts what this job is doing": the engine's
// disrupted-node set (ctx.job.disruptedNodes), the serialized decision to take
// a node down, and resume after a crash with two nodes of a zone down.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConditionCheck,
  Engine,
  MemoryStore,
  PluginRegistry,
  VirtualClock,
  definePlugin,
  type NodeCondition,
  type NodeExecutionContext,
} from '@scylla-cp/core';
import { inventory, planOf, secs, spec } from './engine-fixtures.js';

/**
 * A 3-node cluster where every range has RF 3 (any one node may be down, not
 * two). Peers notice a node went down only `detectMs` later (failure
 * detection); a node that comes back is seen at once.
 */
class LaggingCluster {
  readonly reallyDown = new Set<string>();
  readonly seenDownAt = new Map<string, number>();
  maxDown = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly detectMs: number,
  ) {}
  goDown(id: string): void {
    this.reallyDown.add(id);
    this.seenDownAt.set(id, this.clock.now() + this.detectMs);
    this.maxDown = Math.max(this.maxDown, this.reallyDown.size);
  }
  comeUp(id: string): void {
    this.reallyDown.delete(id);
    this.seenDownAt.delete(id);
  }
  /** What gossip shows now. */
  seenDown(): string[] {
    return [...this.seenDownAt].filter(([, at]) => at <= this.clock.now()).map(([id]) => id);
  }
}

/** `safe`: taking this node down leaves at most one node down (RF 3), counting the job's disrupted nodes. */
function safe(cluster: LaggingCluster): NodeCondition {
  return {
    name: () => 'safe',
    check: async (ctx) => {
      const mine = ctx.job.disruptedNodes;
      if (mine?.has(ctx.node.id)) return { ok: true, detail: 'already down by this job' };
      const down = new Set([...cluster.seenDown(), ...(mine ?? [])]);
      down.delete(ctx.node.id);
      return { ok: down.size === 0, detail: `down: ${[...down].join(',') || 'none'}` };
    },
  };
}

function pluginFor(cluster: LaggingCluster) {
  const params = z.object({ name: z.string() }).strict();
  const guard = () => [new ConditionCheck(safe(cluster), { pollIntervalSeconds: 5, timeoutSeconds: 300 })];
  const task = (pre: boolean, act: (ctx: NodeExecutionContext) => Promise<void>) => ({
    description: 'test',
    params,
    create: () => ({ name: () => 'x', preconditions: () => (pre ? guard() : []), execute: act }),
  });
  return definePlugin({
    name: 'disruption-test',
    version: '1.0.0',
    nodeTasks: {
      // like scylla-drain: guarded, takes the node down
      drain: { ...task(true, async (ctx) => { await ctx.clock.sleep(2_000); cluster.goDown(ctx.node.id); }), disruptive: true },
      // like systemd-stop-scylla-server: guarded, disruptive
      stop: { ...task(true, async (ctx) => ctx.clock.sleep(1_000)), disruptive: true },
      // like systemd-start-service: brings the node back
      start: { ...task(false, async (ctx) => { await ctx.clock.sleep(5_000); cluster.comeUp(ctx.node.id); }), restores: true },
    },
  });
}

const steps = () => [
  { ...spec('d'), tag: 'drain', params: { name: 'd' } },
  { ...spec('s'), tag: 'stop', params: { name: 's' } },
  { ...spec('u'), tag: 'start', params: { name: 'u' } },
];

describe('disrupted nodes', () => {
  it('concurrency_limit 2: the second node does not pass the guard on a stale view while the first goes down (never two down)', async () => {
    const clock = new VirtualClock();
    const cluster = new LaggingCluster(clock, 30_000);
    const registry = new PluginRegistry().register(pluginFor(cluster));
    const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: 1 });
    const seen: string[][] = [];
    engine.on('step', (e) => {
      if (e.state === 'running') seen.push([e.stepId]);
    });
    const plan = planOf(inventory(1, 3), steps(), { limit: 2 });
    const job = await engine.start(plan, { operator: 't', workflowText: '' });
    const outcome = await clock.run(job.done, { maxVirtualMs: 3_600_000 });
    expect(outcome.state).toBe('succeeded');
    expect(cluster.maxDown).toBe(1);
  });

  it('exposes the set to conditions as ctx.job.disruptedNodes, from the guard passing until the node is restored', async () => {
    const clock = new VirtualClock();
    const cluster = new LaggingCluster(clock, 0);
    const snapshots: string[] = [];
    const plugin = pluginFor(cluster);
    const registry = new PluginRegistry().register(plugin).register(
      definePlugin({
        name: 'probe',
        version: '1.0.0',
        nodeTasks: {
          probe: {
            description: 'records the set',
            params: z.object({ name: z.string() }).strict(),
            create: () => ({
              name: () => 'probe',
              preconditions: () => [],
              execute: async (ctx: NodeExecutionContext) => void snapshots.push(`${ctx.node.id}:${[...(ctx.job.disruptedNodes ?? [])].join(',')}`),
            }),
          },
        },
      }),
    );
    const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: 1 });
    const probe = { ...spec('p'), tag: 'probe', params: { name: 'p' } };
    const [d, s, u] = steps();
    const plan = planOf(inventory(1, 2), [probe, d!, probe, s!, u!, probe]);
    const job = await engine.start(plan, { operator: 't', workflowText: '' });
    expect((await clock.run(job.done)).state).toBe('succeeded');
    expect(snapshots).toEqual(['z0-n0:', 'z0-n0:z0-n0', 'z0-n0:', 'z0-n1:', 'z0-n1:z0-n1', 'z0-n1:']);
  });

  it('resume after a crash with two nodes of the zone down: no deadlock, they are brought back first, no third node goes down', async () => {
    const clock = new VirtualClock();
    const cluster = new LaggingCluster(clock, 0);
    const store = new MemoryStore();
    const registry = new PluginRegistry().register(pluginFor(cluster));
    const plan = planOf(inventory(1, 4), steps(), { limit: 2 });
    // The state a crash left (e.g. of an older version without the guard): z0-n1
    // and z0-n2 drained, z0-n2's stop in flight; z0-n0 not started yet.
    await store.createJob({ id: 'crashed', cluster: plan.cluster, operator: 't', workflowName: 'w', workflowText: '', plan, at: clock.now() });
    const lease = await store.acquireLease('crashed', 'dead-runner', 30_000, clock.now());
    await store.commit(lease, {
      at: clock.now(),
      job: { state: 'running' },
      steps: [
        { stepId: 's0/z0-n1/t0', nodeId: 'z0-n1', state: 'succeeded', attempts: 1 },
        { stepId: 's0/z0-n1/t1', nodeId: 'z0-n1', state: 'running', attempts: 1 },
        { stepId: 's0/z0-n2/t0', nodeId: 'z0-n2', state: 'succeeded', attempts: 1 },
      ],
    });
    cluster.goDown('z0-n1');
    cluster.goDown('z0-n2');
    await clock.advance(31_000);
    const engine = new Engine({ store, registry, clock, seed: 2 });
    const order: string[] = [];
    engine.on('step', (e) => {
      if (e.state === 'running') order.push(e.stepId);
    });
    const job = await engine.resume('crashed');
    const outcome = await clock.run(job.done, { maxVirtualMs: 3_600_000 });
    expect(outcome.failedSteps.map((f) => f.error.message)).toEqual([]);
    expect(outcome.state).toBe('succeeded');
    expect(cluster.maxDown).toBe(2);
    // the two nodes down are brought back before any other node starts
    expect(order.slice(0, 2).sort()).toEqual(['s0/z0-n1/t1', 's0/z0-n2/t1']);
    expect(secs(clock)).toBeLessThan(31 + 300);
  });
});
