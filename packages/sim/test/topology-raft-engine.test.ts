import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, RaftSimTopology } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function workflow(name: string, task: string, retries = 0): string {
  return `name: ${name}
cluster_tasks:
  - task: !node-workflow
      name: ${name}
      concurrency_unit: node
      node_tasks:
        - task: ${task}
          retries: ${retries}
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

describe(`scylla-decommission and scylla-removenode through the engine, on the default (Raft) topology (SEED=${SEED})`, () => {
  it('scylla-decommission drives a leave request to done; the streaming takes decommissionMs', async () => {
    const { clock, cluster } = virtualCluster({ timing: { decommissionMs: 7000 } });
    expect(cluster.topology).toBeInstanceOf(RaftSimTopology);
    const topo = cluster.topology as RaftSimTopology;
    const target = cluster.nodes[2]!;
    const v0 = topo.current.version;
    const outcome = await runOn(cluster, clock, workflow('Decommission one node', '!scylla-decommission'), target.id);
    expect(outcome.state).toBe('succeeded');
    const [started, ended] = cluster.oplog.entries({ node: target.id, actions: ['decommission', 'decommissioned'] });
    expect(ended!.atMs - started!.atMs).toBe(7000);
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
    const { clock, cluster } = virtualCluster({ timing: { failureDetectionDelayMs: 1000 } });
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

  it('a node killed mid-decommission (die-during fault) is rolled back; restarted, the retried task decommissions it', async () => {
    const { clock, cluster } = virtualCluster({ timing: { decommissionMs: 4000 } });
    const topo = cluster.topology as RaftSimTopology;
    const target = cluster.nodes[3]!;
    cluster.faults.inject({ kind: 'die-during', node: target.id, operation: 'decommission', afterMs: 1000 });
    // an operator (or systemd) starts the node again once it died
    const off = cluster.oplog.subscribe((e) => {
      if (e.node === target.id && e.action === 'killed') queueMicrotask(() => void cluster.systemctlStart(target.id));
    });
    const outcome = await runOn(cluster, clock, workflow('Decommission one node', '!scylla-decommission', 3), target.id);
    off();
    expect(outcome.state).toBe('succeeded');
    expect(cluster.oplog.entries({ node: target.id, actions: ['killed'] }).map((e) => e.detail['reason'])).toEqual(['died during decommission']);
    const requests = Object.values(topo.current.requests);
    expect(requests.map((r) => [r.kind, r.nodeId, r.status])).toEqual([
      ['leave', target.id, 'failed'],
      ['leave', target.id, 'done'],
    ]);
    expect(requests[0]!.reason).toMatch(/^Rolled back: /);
    // between the two attempts the node was a normal member again
    const states = topo.history.map((h) => h.nodeStates[target.id]);
    const firstLeft = states.indexOf('left');
    expect(states.slice(0, firstLeft)).toEqual(expect.arrayContaining(['decommissioning', 'normal']));
    expect(states.lastIndexOf('normal')).toBeGreaterThan(states.indexOf('decommissioning'));
    expect(target.mode).toBe('DECOMMISSIONED');
    expect(topo.state(target.id)).toBe('left');
  });

  it('scylla-decommission fails when its node dies mid-stream and stays down: the node is back to normal in the topology', async () => {
    const { clock, cluster } = virtualCluster({ timing: { decommissionMs: 4000 } });
    const topo = cluster.topology as RaftSimTopology;
    const target = cluster.nodes[4]!;
    cluster.faults.inject({ kind: 'die-during', node: target.id, operation: 'decommission', afterMs: 2000 });
    const outcome = await runOn(cluster, clock, workflow('Decommission one node', '!scylla-decommission'), target.id);
    expect(outcome.state).toBe('failed');
    expect(topo.state(target.id)).toBe('normal');
    expect(topo.current.tstate).toBeNull();
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.status])).toEqual([['leave', 'failed']]);
    const leaving = (await getJson(cluster, cluster.nodes[0]!.id, '/storage_service/nodes/leaving')) as string[];
    expect(leaving).toEqual([]);
  });
});
