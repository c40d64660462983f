// Issue 16 item 4 (tasks-scylla side): `!scylla-cluster-cleanup` runs ScyllaDB's cluster-wide
// cleanup (`POST /storage_service/cleanup_all/?global=true`) against the simulator over real
// HTTP: through the engine after a join it cleans exactly the nodes that lost ranges, and a dead
// node that needs cleanup makes it fail recoverably with the coordinator's reason.
import {
  corePlugin,
  Engine,
  MemoryStore,
  parseInventory,
  parseWorkflow,
  plan,
  PluginRegistry,
  RecoverableError,
  ServiceRegistry,
  SystemClock,
  type ClusterExecutionContext,
  type ClusterInventory,
  type Logger,
} from '@scylla-cp/core';
import { ScyllaApiProviders, ScyllaClusterCleanup, scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { afterEach, describe, expect, it } from 'vitest';
import { inventoryYaml, RaftSimTopology, SimCluster, simShellOverride } from '../src/index.js';
import { SEED } from './helpers.js';

const WORKFLOW = `name: Cluster cleanup after a join
cluster_tasks:
  - task: !scylla-cluster-cleanup
      timeout_seconds: 60
`;

let cluster: SimCluster | undefined;
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of disposers.splice(0)) await d();
  await cluster?.stop();
  cluster = undefined;
});

/** A started 3-node cluster after one more node joined: the 3 old nodes need cleanup. */
async function joined(): Promise<{ c: SimCluster; topo: RaftSimTopology; old: string[]; joiner: string }> {
  const c = new SimCluster({ seed: SEED, nodesPerZone: 1, timing: { bootstrapMs: 300, cleanupMs: 200 } });
  cluster = c;
  await c.start();
  const old = c.nodes.map((n) => n.id).sort();
  const joiner = (await c.bootstrapNode({ dc: 'dc1', rack: 'rack1' })).id;
  const topo = c.topology as RaftSimTopology;
  expect(old.map((id) => topo.current.nodes[id]!.cleanup)).toEqual(old.map(() => 'needed'));
  return { c, topo, old, joiner };
}

function cleaned(c: SimCluster, since: number): string[] {
  return [...new Set(c.oplog.entries({ actions: ['cleanup'] }).filter((e) => e.atMs >= since).map((e) => e.node))].sort();
}

describe(`!scylla-cluster-cleanup over HTTP against the simulator (SEED=${SEED})`, () => {
  it('a job with the cluster task cleans exactly the nodes that lost ranges in the join, with one global request', async () => {
    const { c, topo, old, joiner } = await joined();
    const inventory = parseInventory(inventoryYaml(c.inventory()));
    const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
    simShellOverride(registry);
    const jobPlan = plan(parseWorkflow(WORKFLOW, { registry }), inventory, {}, {}, { registry });
    const engine = new Engine({ store: new MemoryStore(), registry, clock: new SystemClock(), seed: SEED });
    const t0 = c.clock.now();
    try {
      const job = await engine.start(jobPlan, { operator: 'test', workflowText: WORKFLOW });
      const outcome = await job.done;
      expect(outcome.error).toBeUndefined();
      expect(outcome.state).toBe('succeeded');
    } finally {
      await engine.close();
    }
    expect(cleaned(c, t0)).toEqual(old);
    expect([...old, joiner].every((id) => topo.current.nodes[id]!.cleanup === 'clean')).toBe(true);
    // one call to one member: one cleanup-all in the oplog, one global cleanup request
    expect(c.oplog.entries({ actions: ['cleanup-all'] })).toHaveLength(1);
    expect(Object.values(topo.current.globalRequests).filter((g) => g.kind === 'cleanup')).toHaveLength(1);
  });

  it("a dead node that needs cleanup: the task fails recoverably with the coordinator's reason, after asking one member", async () => {
    const { c, topo, old, joiner } = await joined();
    const dead = old.find((id) => id !== topo.leaderId)!;
    c.kill(dead);
    const inventory: ClusterInventory = parseInventory(inventoryYaml(c.inventory()));
    // ask the joiner first (the inventory's first node may be the dead one)
    const ordered: ClusterInventory = { ...inventory, nodes: [inventory.nodes.find((n) => n.id === joiner)!, ...inventory.nodes.filter((n) => n.id !== joiner)] };
    const registry = new ServiceRegistry();
    const api = new ScyllaApiProviders();
    registry.provide(api.nodeProvider()).provide(api.clientsProvider());
    disposers.push(() => api.dispose());
    const lines: string[] = [];
    const keep = (m: string) => void lines.push(m);
    const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
    const job = { id: 'job-1', operator: 'tester', variables: {}, workflowName: 'test' };
    const clock = new SystemClock();
    const signal = new AbortController().signal;
    const ctx: ClusterExecutionContext = { inventory: ordered, job, logger, clock, signal, services: registry.bind({ inventory: ordered, job, clock, signal }), attempt: 1, stepId: 's1' };
    const err = await new ScyllaClusterCleanup({ timeout_seconds: 60 }).execute(ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RecoverableError);
    expect((err as Error).message).toContain(`cleanup needs node(s) ${dead}, which the failure detector reports down`);
    expect(c.oplog.entries({ actions: ['cleanup-all'] }).map((e) => e.node)).toEqual([joiner]);
    expect(cleaned(c, 0)).toEqual([]);
  });
});
