import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, RaftSimTopology } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function workflow(name: string, task: string): string {
  return `name: ${name}
cluster_tasks:
  - task: !node-workflow
      name: ${name}
      concurrency_unit: node
      node_tasks:
        - task: ${task}
`;
}

async function runOn(cluster: ReturnType<typeof virtualCluster>['cluster'], clock: ReturnType<typeof virtualCluster>['clock'], text: string, node: string) {
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
  provideSimServices(registry, cluster);
  const wf = parseWorkflow(text, { registry, fileName: 'topology.yaml' });
  const jobPlan = plan(wf, cluster.inventory(), { nodes: [node] }, {}, { registry });
  const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: SEED, retryJitterRatio: 0 });
  const outcome = await clock.run(async () => {
    const job = await engine.start(jobPlan, { operator: 'test', workflowText: text });
    return job.done;
  });
  await clock.run(engine.close());
  return outcome;
}

describe(`scylla-decommission and scylla-removenode through the engine, Raft topology (SEED=${SEED})`, () => {
  it('scylla-decommission drives a leave request to done', async () => {
    const { clock, cluster } = virtualCluster({ topology: 'raft' });
    const topo = cluster.topology as RaftSimTopology;
    const target = cluster.nodes[2]!;
    const v0 = topo.current.version;
    const outcome = await runOn(cluster, clock, workflow('Decommission one node', '!scylla-decommission'), target.id);
    expect(outcome.state).toBe('succeeded');
    expect(target.mode).toBe('DECOMMISSIONED');
    expect(topo.state(target.id)).toBe('left');
    expect(topo.history.map((h) => h.nodeStates[target.id])).toContain('decommissioning');
    expect(topo.current.version).toBeGreaterThan(v0);
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['leave', target.id, 'done']]);
    expect(cluster.oplog.entries({ node: target.id, actions: ['decommission', 'decommissioned'] }).map((e) => e.action)).toEqual(['decommission', 'decommissioned']);
    const ids = (await getJson(cluster, cluster.nodes[0]!.id, '/storage_service/host_id')) as { value: string }[];
    expect(ids.map((e) => e.value)).not.toContain(target.hostId);
  });

  it('scylla-removenode drives a remove request for a dead node to done', async () => {
    const { clock, cluster } = virtualCluster({ topology: 'raft', timing: { failureDetectionDelayMs: 1000 } });
    const topo = cluster.topology as RaftSimTopology;
    const [coordinator, dead] = cluster.nodes;
    cluster.kill(dead!.id);
    await clock.advance(1000);
    const text = workflow('Remove a dead node', `!scylla-removenode\n            host_id: ${dead!.hostId}`);
    const outcome = await runOn(cluster, clock, text, coordinator!.id);
    expect(outcome.state).toBe('succeeded');
    expect(topo.state(dead!.id)).toBe('left');
    expect(topo.history.map((h) => h.nodeStates[dead!.id])).toContain('removing');
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['remove', dead!.id, 'done']]);
    const ids = (await getJson(cluster, coordinator!.id, '/storage_service/host_id')) as { value: string }[];
    expect(ids.map((e) => e.value)).not.toContain(dead!.hostId);
    expect(topo.ring()).toHaveLength(80);
  });
});
