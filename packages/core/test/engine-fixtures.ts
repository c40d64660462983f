// Stand-in plugins, hand-built plans and observers shared by the engine tests.
import { z } from 'zod';
import {
  ConditionCheck,
  Engine,
  MemoryStore,
  PluginRegistry,
  VirtualClock,
  definePlugin,
  type ClusterExecutionContext,
  type ClusterInventory,
  type ConcurrencyUnit,
  type EngineOptions,
  type ExecuteClusterTask,
  type InventoryNode,
  type JobPlan,
  type NodeCondition,
  type NodeExecutionContext,
  type PlanBatch,
  type PlanStep,
  type TaskSpec,
} from '@scylla-cp/core';

export const T0 = 1_767_225_600_000;

/** What a stand-in task does; `ctx` is the real execution context. */
export type Behavior = (ctx: NodeExecutionContext | ClusterExecutionContext) => Promise<unknown>;

/** Stand-in plugin: node/cluster task `!act {name}` runs behaviors[name]; `!act-pre {name, pre}` also has preconditions. */
export function testPlugin(behaviors: Record<string, Behavior>, preconditions: Record<string, () => ConditionCheck<NodeCondition>[]> = {}) {
  const params = z.object({ name: z.string(), pre: z.string().optional() }).strict();
  const make = (p: { name: string; pre?: string | undefined }) => ({
    name: () => `act:${p.name}`,
    preconditions: () => (p.pre ? (preconditions[p.pre]?.() ?? []) : []),
    execute: (ctx: NodeExecutionContext | ClusterExecutionContext) => {
      const b = behaviors[p.name];
      if (!b) throw new Error(`no behavior ${p.name}`);
      return b(ctx);
    },
  });
  return definePlugin({
    name: 'engine-test-plugin',
    version: '1.0.0',
    nodeTasks: { act: { description: 'test node task', params, create: (p) => make(p as { name: string }) } },
    clusterTasks: { act: { description: 'test cluster task', params, create: (p) => make(p as { name: string }) as unknown as ExecuteClusterTask } },
  });
}

export function spec(name: string, options: Partial<Omit<TaskSpec, 'tag' | 'params'>> & { pre?: string } = {}): TaskSpec {
  const { pre, ...rest } = options;
  return {
    tag: 'act',
    params: pre ? { name, pre } : { name },
    retries: 0,
    retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 },
    ...rest,
  };
}

/** zones x perZone nodes: id `z<zone>-n<i>`, zone `zone-<z>`, rack `rack-<z>-<i % racks>`, dc `dc-<z % dcs>`. */
export function inventory(zones: number, perZone: number, options: { racksPerZone?: number; dcs?: number } = {}): ClusterInventory {
  const nodes: InventoryNode[] = [];
  const racks = options.racksPerZone ?? 1;
  const dcs = options.dcs ?? 1;
  for (let z = 0; z < zones; z++) {
    for (let i = 0; i < perZone; i++) {
      nodes.push({
        id: `z${z}-n${i}`,
        address: `10.${z}.0.${i + 1}`,
        dc: `dc-${z % dcs}`,
        rack: `rack-${z}-${i % racks}`,
        zone: `zone-${z}`,
        labels: {},
        connection: {},
      });
    }
  }
  return { name: 'test-cluster', nodes, connection: {} };
}

/** Groups nodes into batches by unit (sorted by unit value); `node`: one batch per node. */
export function batchesFor(inv: ClusterInventory, stepId: string, unit: ConcurrencyUnit): PlanBatch[] {
  const groups = new Map<string, string[]>();
  for (const n of inv.nodes) {
    const key = unit === 'node' || unit === 'replica_set' ? n.id : n[unit];
    const list = groups.get(key) ?? [];
    list.push(n.id);
    groups.set(key, list);
  }
  return [...groups.keys()].sort().map((key, i) => ({ id: `${stepId}/b${i}`, unit: key, nodes: groups.get(key)! }));
}

export interface PlanOptions {
  unit?: ConcurrencyUnit;
  limit?: number;
  abortOnFirstFailure?: boolean;
  before?: TaskSpec[];
  after?: TaskSpec[];
}

/** A plan: cluster tasks `before`, one node workflow `s<k>` running `tasks` on every node, cluster tasks `after`. */
export function planOf(inv: ClusterInventory, tasks: TaskSpec[], options: PlanOptions = {}): JobPlan {
  const steps: PlanStep[] = [];
  for (const t of options.before ?? []) steps.push({ kind: 'cluster-task', id: `s${steps.length}`, task: t });
  const id = `s${steps.length}`;
  const unit = options.unit ?? 'zone';
  steps.push({
    kind: 'node-workflow',
    id,
    name: 'rolling',
    concurrencyUnit: unit,
    concurrencyLimit: options.limit ?? 1,
    abortOnFirstFailure: options.abortOnFirstFailure ?? true,
    tasks,
    batches: batchesFor(inv, id, unit),
  });
  for (const t of options.after ?? []) steps.push({ kind: 'cluster-task', id: `s${steps.length}`, task: t });
  return { formatVersion: 1, workflowName: 'test-workflow', cluster: inv.name, inventory: inv, targeting: {}, variables: { who: 'test' }, steps };
}

export interface Harness {
  clock: VirtualClock;
  store: MemoryStore;
  registry: PluginRegistry;
  engine: Engine;
}

export function harness(
  behaviors: Record<string, Behavior>,
  options: Partial<EngineOptions> & { preconditions?: Record<string, () => ConditionCheck<NodeCondition>[]>; clock?: VirtualClock; store?: MemoryStore } = {},
): Harness {
  const { preconditions, ...engineOptions } = options;
  const clock = options.clock ?? new VirtualClock();
  const store = options.store ?? new MemoryStore();
  const registry = new PluginRegistry().register(testPlugin(behaviors, preconditions));
  const engine = new Engine({ seed: 42, retryJitterRatio: 0, ...engineOptions, store, registry, clock });
  return { clock, store, registry, engine };
}

/** Seconds of virtual time since T0. */
export const secs = (clock: VirtualClock) => (clock.now() - T0) / 1000;

/** Node lifetime observer: counts nodes between their first task's start and last task's end. */
export class NodeObserver {
  active = new Map<string, string>(); // nodeId -> batch unit
  maxActive = 0;
  maxActivePerUnit = new Map<string, number>();
  overlaps: string[] = [];
  starts: Array<{ node: string; at: number }> = [];
  ends: Array<{ node: string; at: number }> = [];
  constructor(private readonly unitOf: (nodeId: string) => string) {}
  start(node: string, at: number): void {
    const unit = this.unitOf(node);
    for (const [other, u] of this.active) if (u !== unit) this.overlaps.push(`${node}(${unit}) with ${other}(${u})`);
    this.active.set(node, unit);
    this.starts.push({ node, at });
    this.maxActive = Math.max(this.maxActive, this.active.size);
    const n = [...this.active.values()].filter((u) => u === unit).length;
    this.maxActivePerUnit.set(unit, Math.max(this.maxActivePerUnit.get(unit) ?? 0, n));
  }
  end(node: string, at: number): void {
    this.active.delete(node);
    this.ends.push({ node, at });
  }
}

/** Seeded runs: `SEED=<n>` from the environment, else a fixed default; always printed. */
export function testSeed(fallback: number): number {
  const env = process.env.SEED;
  const seed = env !== undefined && env !== '' ? Number(env) : fallback;
  console.log(`SEED=${seed}`);
  return seed;
}
