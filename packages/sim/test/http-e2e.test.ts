import { corePlugin, Engine, MemoryStore, parseInventory, parseWorkflow, plan, PluginRegistry, SystemClock } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { afterEach, describe, expect, it } from 'vitest';
import { inventoryYaml, SimCluster, simShellOverride } from '../src/index.js';
import { SEED } from './helpers.js';

const WORKFLOW = `name: Drain and restart over HTTP
node_workflow_defaults:
  concurrency_unit: zone
  concurrency_limit: 1
cluster_tasks:
  - task: !node-workflow
      name: Drain and restart each node
      node_tasks:
        - task: !scylla-drain
        - task: !systemd-stop-scylla-server
        - task: !systemd-start-service
            service: scylla-server
        - task: !wait-for-conditions
            conditions:
              - condition: !node-up-normal
                poll_interval_seconds: 0.05
                timeout_seconds: 30
              - condition: !scylla-pending-compactions
                  max: 0
                success_window_seconds: 0.1
                poll_interval_seconds: 0.05
                timeout_seconds: 30
`;

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('over real HTTP, as the CLI runs it', () => {
  it('runs a drain-restart job through the inventory YAML, undici REST clients and SimHttpShell', async () => {
    cluster = new SimCluster({ seed: SEED, nodesPerZone: 1, timeScale: 0.05 });
    await cluster.start();
    const inventory = parseInventory(inventoryYaml(cluster.inventory()));
    const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
    simShellOverride(registry);
    const workflow = parseWorkflow(WORKFLOW, { registry });
    const jobPlan = plan(workflow, inventory, {}, {}, { registry });
    const engine = new Engine({ store: new MemoryStore(), registry, clock: new SystemClock(), seed: SEED });
    try {
      const job = await engine.start(jobPlan, { operator: 'test', workflowText: WORKFLOW });
      const outcome = await job.done;
      expect(outcome.error).toBeUndefined();
      expect(outcome.state).toBe('succeeded');
    } finally {
      await engine.close();
    }
    const log = cluster.oplog.entries({ actions: ['drain', 'systemctl-stop', 'systemctl-start', 'serving'] });
    const perNode = new Map<string, string[]>();
    for (const e of log) perNode.set(e.node, [...(perNode.get(e.node) ?? []), `${e.actor}:${e.action}`]);
    for (const n of cluster.nodes) expect(perNode.get(n.id)).toEqual(['rest:drain', 'shell:systemctl-stop', 'shell:systemctl-start', 'sim:serving']);
    // one node at a time: each node is serving again before the next one is drained
    const seq = log.map((e) => `${e.node}:${e.action}`);
    for (let i = 0; i < seq.length; i += 4) expect(new Set(seq.slice(i, i + 4).map((s) => s.split(':')[0])).size).toBe(1);
  });
});
