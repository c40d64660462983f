import { readFileSync } from 'node:fs';
import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry, type JobOutcome, type Targeting } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, RaftSimTopology, type SimCluster } from '../src/index.js';
import { SEED, virtualCluster } from './helpers.js';

const example = (name: string): string => readFileSync(new URL(`../../../examples/workflows/${name}`, import.meta.url), 'utf8');

function registry(cluster: SimCluster): PluginRegistry {
  const r = new PluginRegistry().register(corePlugin, scyllaPlugin);
  provideSimServices(r, cluster);
  return r;
}

async function run(cluster: SimCluster, clock: ReturnType<typeof virtualCluster>['clock'], file: string, targeting: Targeting, vars: Record<string, string> = {}): Promise<JobOutcome> {
  const text = example(file);
  const reg = registry(cluster);
  const wf = parseWorkflow(text, { registry: reg, fileName: file });
  const jobPlan = plan(wf, cluster.inventory(), targeting, vars, { registry: reg });
  const engine = new Engine({ store: new MemoryStore(), registry: reg, clock, seed: SEED, retryJitterRatio: 0 });
  const outcome = await clock.run(async () => (await engine.start(jobPlan, { operator: 'test', workflowText: text })).done);
  await clock.run(engine.close());
  return outcome;
}

describe(`example workflows of issue 19 on the simulated Raft topology (SEED=${SEED})`, () => {
  it('expand.yaml: three new nodes join one at a time, zone after zone; then the six old nodes clean up', async () => {
    const { clock, cluster } = virtualCluster({ nodesPerZone: 2, timing: { bootstrapMs: 6000 } });
    const topo = cluster.topology as RaftSimTopology;
    const old = cluster.nodes.map((n) => n.id);
    const fresh = [];
    for (const rack of ['rack1', 'rack2', 'rack3']) fresh.push(await cluster.addNewNode({ dc: 'dc1', rack }));
    const outcome = await run(cluster, clock, 'expand.yaml', {}, { keyspace: 'ks1' });
    expect(outcome.state, JSON.stringify(outcome.error ?? outcome.failedSteps)).toBe('succeeded');
    for (const n of fresh) expect(topo.state(n.id)).toBe('normal');
    const joins = Object.values(topo.current.requests).filter((r) => r.kind === 'join');
    expect(joins.map((r) => [r.nodeId, r.status])).toEqual(fresh.map((n) => [n.id, 'done']));
    // one join at a time: each bootstrap-done precedes the next bootstrap
    const log = cluster.oplog.entries({ actions: ['bootstrap', 'bootstrap-done'] }).map((e) => `${e.action} ${e.node}`);
    expect(log).toEqual(fresh.flatMap((n) => [`bootstrap ${n.id}`, `bootstrap-done ${n.id}`]));
    const lastJoin = cluster.oplog.entries({ actions: ['bootstrap-done'] }).at(-1)!.atMs;
    const cleanups = cluster.oplog.entries({ actions: ['cleanup'] });
    expect(cleanups.map((e) => e.node).sort()).toEqual([...old].sort());
    expect(cleanups.every((e) => e.atMs >= lastJoin)).toBe(true);
    expect(topo.ring()).toHaveLength((6 + 3) * cluster.options.tokensPerNode);
  });

  it("shrink.yaml: a zone's nodes are decommissioned one after the other", async () => {
    const { clock, cluster } = virtualCluster({ nodesPerZone: 2, timing: { decommissionMs: 4000 } });
    const topo = cluster.topology as RaftSimTopology;
    const zone = cluster.nodes.filter((n) => n.zone === 'rack3').map((n) => n.id);
    const outcome = await run(cluster, clock, 'shrink.yaml', { zones: ['rack3'] });
    expect(outcome.state, JSON.stringify(outcome.error ?? outcome.failedSteps)).toBe('succeeded');
    for (const id of zone) expect(topo.state(id)).toBe('left');
    const leaves = Object.values(topo.current.requests).filter((r) => r.kind === 'leave');
    expect(leaves.map((r) => [r.nodeId, r.status])).toEqual(zone.map((id) => [id, 'done']));
    const log = cluster.oplog.entries({ actions: ['decommission', 'decommissioned'] }).map((e) => `${e.action} ${e.node}`);
    expect(log).toEqual(zone.flatMap((id) => [`decommission ${id}`, `decommissioned ${id}`]));
  });

  it('replace-dead-node.yaml: the replacement takes over the dead node; the dead node left', async () => {
    const { clock, cluster } = virtualCluster({ nodesPerZone: 2, timing: { bootstrapMs: 5000, failureDetectionDelayMs: 1000 } });
    const topo = cluster.topology as RaftSimTopology;
    const dead = cluster.nodes[3]!;
    const tokens = [...topo.tokensOf(dead.id)].sort();
    cluster.kill(dead.id);
    await clock.advance(2000);
    const fresh = await cluster.addNewNode({ dc: dead.dc, rack: dead.rack, replaces: dead.id });
    const outcome = await run(cluster, clock, 'replace-dead-node.yaml', {});
    expect(outcome.state, JSON.stringify(outcome.error ?? outcome.failedSteps)).toBe('succeeded');
    expect(topo.state(dead.id)).toBe('left');
    expect([...topo.tokensOf(fresh.id)].sort()).toEqual(tokens);
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['replace', fresh.id, 'done']]);
  });
});
