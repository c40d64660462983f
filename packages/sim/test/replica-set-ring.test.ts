import { corePlugin, formatPlan, parseWorkflow, planJob, plannedPreconditionChecks, PluginRegistry, waitForCondition, type NodeWorkflowStep } from '@scylla-cp/core';
import { createScyllaPlugin, scyllaRingProvider } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { simRequestPool, type SimCluster } from '../src/index.js';
import { virtualCluster } from './helpers.js';

/** Issue 15: replica_set batches from the simulated cluster's describe_ring, and the re-check. */

const WF = (settings: string) => `name: rolling restart
cluster_tasks:
  - task: !node-workflow
      name: restart
      concurrency_unit: replica_set
${settings}      node_tasks:
        - task: !scylla-drain
`;

function setup(cluster: SimCluster) {
  const poolFactory = (node: { id: string }) => simRequestPool(cluster, node.id);
  const registry = new PluginRegistry().register(corePlugin, createScyllaPlugin({ poolFactory }));
  const ringProvider = scyllaRingProvider({ poolFactory });
  return { registry, ringProvider, inventory: cluster.inventory() };
}

/** Whether two node ids replicate a common range of `keyspace`, by the simulator's own placement. */
function shareRange(cluster: SimCluster, keyspace: string, a: string, b: string): boolean {
  const ks = cluster.keyspace(keyspace)!;
  return cluster.replicaSets(ks).some((r) => r.replicas.includes(a) && r.replicas.includes(b));
}

describe('replica_set on the simulated cluster (issue 15)', () => {
  it('1 dc, 3 racks, NetworkTopologyStrategy RF 3: one rack at a time is the optimum, and no set holds two replicas of a range', async () => {
    const { clock, cluster } = virtualCluster({ topology: 'memory', datacenters: [{ name: 'dc1', zones: ['r1', 'r2', 'r3'] }], nodesPerZone: 4, tokensPerNode: 16 });
    const { registry, ringProvider, inventory } = setup(cluster);
    const p = await clock.run(() => planJob(parseWorkflow(WF('      replica_set: {keyspaces: [ks1]}\n'), { registry }), inventory, {}, {}, { registry, ringProvider }));
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s.batches).toHaveLength(3);
    for (const b of s.batches) {
      expect(new Set(b.nodes.map((id) => cluster.node(id).rack)).size).toBe(1);
      for (const x of b.nodes) for (const y of b.nodes) if (x !== y) expect(shareRange(cluster, 'ks1', x, y)).toBe(false);
    }
    expect(s.replicaSet!.groups[0]).toMatchObject({ sets: 3, lowerBound: 3, optimal: true });
    expect(s.tasks[0]!.preconditions?.[0]?.condition.$tag).toBe('scylla-ring-unchanged');
    expect(formatPlan(p)).toContain('12 nodes, 3 replica set batches');
    await ringProvider.close();
  });

  it('the SimpleStrategy system keyspace changes the answer: system_distributed ignores racks', async () => {
    const { clock, cluster } = virtualCluster({ topology: 'memory', datacenters: [{ name: 'dc1', zones: ['r1', 'r2', 'r3'] }], nodesPerZone: 4, tokensPerNode: 16 });
    const { registry, ringProvider, inventory } = setup(cluster);
    const ring = await clock.run(() => ringProvider.ring(inventory));
    expect(ring.keyspaces.map((k) => k.keyspace)).toEqual(['ks1', 'system_distributed']);
    const p = await clock.run(() => planJob(parseWorkflow(WF(''), { registry }), inventory, {}, {}, { registry, ringProvider }));
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s.replicaSet!.keyspaces).toEqual(['ks1', 'system_distributed']);
    expect(s.batches.length).toBeGreaterThan(3);
    for (const b of s.batches) for (const x of b.nodes) for (const y of b.nodes) if (x !== y) expect(shareRange(cluster, 'system_distributed', x, y)).toBe(false);
    await ringProvider.close();
  });

  it('single-rack dc with SimpleStrategy: describe_ring replicas are the next nodes clockwise', async () => {
    const { clock, cluster } = virtualCluster({
      topology: 'memory',
      datacenters: [{ name: 'dc1', zones: ['rack1'] }],
      nodesPerZone: 9,
      tokensPerNode: 1,
      systemKeyspaces: false,
      keyspaces: [{ name: 'app', replication: { class: 'SimpleStrategy', replication_factor: 3 } }],
    });
    const { registry, ringProvider, inventory } = setup(cluster);
    const p = await clock.run(() => planJob(parseWorkflow(WF(''), { registry }), inventory, {}, {}, { registry, ringProvider }));
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s.batches.map((b) => b.nodes.length)).toEqual([3, 3, 3]);
    expect(s.replicaSet!.groups[0]!.cliqueRange?.keyspace).toBe('app');
    await ringProvider.close();
  });

  it('the re-check passes on the planned ring and halts with RING_CHANGED once a node left', async () => {
    const { clock, cluster } = virtualCluster({ topology: 'memory', datacenters: [{ name: 'dc1', zones: ['r1', 'r2', 'r3'] }], nodesPerZone: 2, tokensPerNode: 4 });
    const { registry, ringProvider, inventory } = setup(cluster);
    const p = await clock.run(() => planJob(parseWorkflow(WF(''), { registry }), inventory, {}, {}, { registry, ringProvider }));
    const [check] = plannedPreconditionChecks((p.steps[0] as NodeWorkflowStep).tasks[0]!, registry);
    const ctx = () => {
      const signal = new AbortController().signal;
      const job = { id: 'j', cluster: inventory.name, attempt: 1 } as never;
      return { inventory, clock, signal, job, logger: { info() {}, warn() {}, error() {}, debug() {} }, services: registry.services.bind({ inventory, job, clock, signal }) } as never;
    };
    await expect(clock.run(() => waitForCondition(check!, ctx()))).resolves.toMatchObject({ ok: true });
    await clock.run(() => cluster.decommission(cluster.nodes[5]!));
    await expect(clock.run(() => waitForCondition(check!, ctx()))).rejects.toMatchObject({ code: 'RING_CHANGED', message: expect.stringContaining('plan it again') });
    const after = await clock.run(() => ringProvider.ring(inventory, ['ks1']));
    expect(after.keyspaces[0]!.ranges.every((r) => !r.endpoints.includes(cluster.nodes[5]!.address))).toBe(true);
    await ringProvider.close();
  });
});

