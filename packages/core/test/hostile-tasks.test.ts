// Issue 12: a hostile-task suite on VirtualClock. Tasks and conditions that
// ignore their signal, hang forever, settle late and throw non-Error values,
// with operators interrupting, pausing and cancelling at seeded moments.
// Properties checked on every seed:
//   - no two zones active at once (concurrency_unit: zone)
//   - at most concurrency_limit nodes active per batch
//   - at most one execution (task or condition check) per node at once
//   - nothing starts after the job reached a final state
//   - attempts <= retries + 1 for every step, across resumes
// `SEED=<n>` reproduces a run (printed); `HOSTILE_RUNS=<k>` runs k seeds from it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConditionCheck,
  Engine,
  MemoryStore,
  PluginRegistry,
  Prng,
  VirtualClock,
  definePlugin,
  type JobHandle,
  type JobOutcome,
  type NodeCondition,
  type NodeExecutionContext,
  type TaskSpec,
} from '@scylla-cp/core';
import { inventory, planOf, testSeed } from './engine-fixtures.js';

type Behavior = 'ok' | 'fail-recoverable' | 'throw-string' | 'throw-undefined' | 'throw-object' | 'ignore-signal-late' | 'hang' | 'unrecoverable';

interface World {
  clock: VirtualClock;
  zoneOf: Map<string, string>;
  limit: number;
  activePerNode: Map<string, number>;
  violations: string[];
  final: boolean;
  maxAttempt: Map<string, number>;
  retriesOf: Map<string, number>;
}

function enter(w: World, node: string, what: string): void {
  if (w.final) w.violations.push(`${what} on ${node} started after the job reached a final state`);
  const n = (w.activePerNode.get(node) ?? 0) + 1;
  w.activePerNode.set(node, n);
  if (n > 1) w.violations.push(`${n} executions at once on ${node} (${what})`);
  const zone = w.zoneOf.get(node)!;
  const activeNodes = [...w.activePerNode].filter(([, k]) => k > 0).map(([id]) => id);
  const zones = new Set(activeNodes.map((id) => w.zoneOf.get(id)));
  if (zones.size > 1) w.violations.push(`zones ${[...zones].join(',')} active at once (${what} on ${node})`);
  const inZone = activeNodes.filter((id) => w.zoneOf.get(id) === zone).length;
  if (inZone > w.limit) w.violations.push(`${inZone} nodes active in ${zone} > limit ${w.limit}`);
}

function leave(w: World, node: string): void {
  w.activePerNode.set(node, (w.activePerNode.get(node) ?? 1) - 1);
}

async function act(ctx: NodeExecutionContext, how: Behavior, ms: number): Promise<void> {
  switch (how) {
    case 'ok':
      return ctx.clock.sleep(ms, ctx.signal);
    case 'fail-recoverable':
      await ctx.clock.sleep(ms, ctx.signal);
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10000'), { code: 'ECONNREFUSED' });
    case 'throw-string':
      await ctx.clock.sleep(ms, ctx.signal);
      throw 'a plain string';
    case 'throw-undefined':
      await ctx.clock.sleep(ms, ctx.signal);
      throw undefined;
    case 'throw-object':
      await ctx.clock.sleep(ms, ctx.signal);
      throw { code: 'ECONNRESET', note: 'not an Error' };
    case 'ignore-signal-late':
      return ctx.clock.sleep(ms * 3); // no signal: settles late after an abort
    case 'hang':
      return new Promise(() => {});
    case 'unrecoverable':
      throw new Error('something nobody understands');
  }
}

function hostilePlugin(w: World, pick: (key: string) => { how: Behavior; ms: number }) {
  const params = z.object({ name: z.string() }).strict();
  const cond = (name: string): NodeCondition => ({
    name: () => `c-${name}`,
    check: async (ctx) => {
      const key = `${ctx.stepId}#${ctx.attempt}:check`;
      const { how, ms } = pick(key);
      enter(w, ctx.node.id, `check ${ctx.stepId}`);
      try {
        // a check that ignores its signal and settles late, or hangs, or is flaky
        if (how === 'hang') await new Promise(() => {});
        if (how === 'ignore-signal-late') await ctx.clock.sleep(ms * 2);
        else await ctx.clock.sleep(Math.min(ms, 2_000), ctx.signal);
        if (how === 'throw-object') throw { code: 'ECONNREFUSED' };
        return { ok: how !== 'unrecoverable', detail: how };
      } finally {
        leave(w, ctx.node.id);
      }
    },
  });
  const hostile = {
    description: 'a hostile task',
    params,
    create: (p: { name: string }) => ({
      name: () => p.name,
      preconditions: () => (p.name.endsWith('+c') ? [new ConditionCheck(cond(p.name), { pollIntervalSeconds: 2, timeoutSeconds: 20 })] : []),
      execute: async (ctx: NodeExecutionContext) => {
        const m = Math.max(w.maxAttempt.get(ctx.stepId) ?? 0, ctx.attempt);
        w.maxAttempt.set(ctx.stepId, m);
        const { how, ms } = pick(`${ctx.stepId}#${ctx.attempt}`);
        enter(w, ctx.node.id, `task ${ctx.stepId}`);
        try {
          await act(ctx, how, ms);
        } finally {
          leave(w, ctx.node.id);
        }
      },
    }),
  };
  return definePlugin({
    name: 'hostile',
    version: '1.0.0',
    nodeTasks: {
      h: hostile,
      // the same, declared as taking the node down / bringing it back (the serialized decision)
      hd: { ...hostile, disruptive: true },
      hr: { ...hostile, restores: true },
    },
  });
}

const BEHAVIORS: Behavior[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'fail-recoverable', 'fail-recoverable', 'throw-string', 'throw-undefined', 'throw-object', 'ignore-signal-late', 'hang', 'unrecoverable'];

async function scenario(seed: number): Promise<{ violations: string[]; outcomes: string[] }> {
  const prng = new Prng(seed);
  const clock = new VirtualClock();
  const zones = prng.int(2, 3);
  const perZone = prng.int(2, 4);
  const limit = prng.int(1, 3);
  const inv = inventory(zones, perZone);
  const w: World = {
    clock,
    zoneOf: new Map(inv.nodes.map((n) => [n.id, n.zone])),
    limit,
    activePerNode: new Map(),
    violations: [],
    final: false,
    maxAttempt: new Map(),
    retriesOf: new Map(),
  };
  // One draw per (step, attempt): the same attempt re-run after an interrupt behaves the same.
  const draws = new Map<string, { how: Behavior; ms: number }>();
  const pick = (key: string) => {
    let d = draws.get(key);
    if (!d) {
      d = { how: BEHAVIORS[prng.int(0, BEHAVIORS.length - 1)]!, ms: prng.int(500, 20_000) };
      if (d.how === 'hang' && prng.next() < 0.6) d.how = 'ok'; // hangs are rarer
      draws.set(key, d);
    }
    return d;
  };
  const tasks: TaskSpec[] = [];
  const nTasks = prng.int(1, 3);
  for (let t = 0; t < nTasks; t++) {
    const spec: TaskSpec = {
      tag: t === 0 && prng.next() < 0.5 ? 'hd' : t === nTasks - 1 && t > 0 ? 'hr' : 'h',
      params: { name: `t${t}${prng.next() < 0.5 ? '+c' : ''}` },
      retries: prng.int(0, 2),
      retryBackoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
      abandonGraceSeconds: prng.int(5, 40),
    };
    if (prng.next() < 0.7) spec.timeoutSeconds = prng.int(3, 30);
    tasks.push(spec);
  }
  const plan = planOf(inv, tasks, { limit, abortOnFirstFailure: prng.next() < 0.5 });
  for (const s of plan.steps) {
    if (s.kind !== 'node-workflow') continue;
    for (const b of s.batches) for (const n of b.nodes) s.tasks.forEach((t, i) => w.retriesOf.set(`${s.id}/${n}/t${i}`, t.retries));
  }
  const store = new MemoryStore();
  const registry = new PluginRegistry().register(hostilePlugin(w, pick));
  const engine = new Engine({ store, registry, clock, seed, retryJitterRatio: 0 });
  engine.on('job', (e) => {
    if (e.state === 'succeeded' || e.state === 'cancelled') w.final = true;
  });
  const outcomes: string[] = [];
  let job: JobHandle = await engine.start(plan, { operator: 'hostile', workflowText: '', jobId: `j${seed}` });
  for (let run = 0; run < 6; run++) {
    let outcome: JobOutcome | undefined;
    void job.done.then((o) => (outcome = o));
    const actAt = prng.int(1_000, 120_000);
    await clock.run(Promise.race([job.done, clock.sleep(actAt)]), { maxVirtualMs: 86_400_000 });
    if (outcome === undefined) {
      const r = prng.next();
      if (r < 0.35) job.interrupt('seeded crash');
      else if (r < 0.7) await store.requestControl(job.jobId, 'pause', clock.now());
      else if (r < 0.8) await store.requestControl(job.jobId, 'cancel', clock.now());
      else if (r < 0.85) await store.requestControl(job.jobId, 'cancel-now', clock.now());
    }
    // A task that hangs without a timeout is waited for as long as it takes
    // (nobody said otherwise); the operator then cancels now, and the job must
    // end within the abandon grace.
    await clock.run(Promise.race([job.done, clock.sleep(6 * 3_600_000)]), { maxVirtualMs: 7 * 3_600_000 });
    if (outcome === undefined) await store.requestControl(job.jobId, 'cancel-now', clock.now());
    const o = await clock.run(job.done, { maxVirtualMs: 120_000 }).catch((e: unknown) => {
      throw new Error(`SEED=${seed}: the job did not end within the grace after cancel-now: ${(e as Error).message}; in flight: ${JSON.stringify(engine.inFlight.list())}`);
    });
    outcomes.push(o.state);
    if (process.env.HOSTILE_DEBUG) console.log(seed, o.state, o.error?.code, o.failedSteps.map((f) => `${f.stepId}:${f.error.code}:${f.error.message.slice(0, 80)}`).join(' | '));
    if (o.state !== 'paused') break;
    job = await engine.resume(job.jobId);
  }
  // Let every stray (ignored-signal) task settle; a hung one never does.
  await clock.advance(3_600_000);
  for (const [step, max] of w.maxAttempt) {
    const retries = w.retriesOf.get(step)!;
    if (max > retries + 1) w.violations.push(`step ${step} reached attempt ${max} with retries ${retries}`);
  }
  const stored = await store.getJob(`j${seed}`);
  if (outcomes.at(-1) !== stored.state && outcomes.at(-1) !== 'paused') w.violations.push(`outcome ${outcomes.at(-1)} but stored ${stored.state}`);
  return { violations: w.violations, outcomes };
}

describe('hostile tasks (property, seeded)', () => {
  it('keeps every promise on every seed', async () => {
    const base = testSeed(20261204);
    const runs = Number(process.env.HOSTILE_RUNS ?? 40);
    const summary = new Map<string, number>();
    for (let i = 0; i < runs; i++) {
      const seed = base + i;
      const r = await scenario(seed);
      const last = r.outcomes.at(-1)!;
      summary.set(last, (summary.get(last) ?? 0) + 1);
      if (r.violations.length > 0) {
        throw new Error(`SEED=${seed} (reproduce: SEED=${seed} HOSTILE_RUNS=1): ${r.violations.slice(0, 5).join('; ')}`);
      }
    }
    console.log(`endings: ${JSON.stringify([...summary])}`);
    // the seeds exercise more than one ending
    expect(summary.size).toBeGreaterThan(1);
  }, 120_000);
});
