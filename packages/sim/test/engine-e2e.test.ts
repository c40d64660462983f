import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, type SimOpLogEntry } from '../src/index.js';
import { SEED, virtualCluster } from './helpers.js';

const WORKFLOW = `name: Drain and restart each node (REST compaction condition)
node_workflow_defaults:
  concurrency_unit: zone
  concurrency_limit: 1
  abort_on_first_failure: true
cluster_tasks:
  - task: !node-workflow
      name: Drain and restart each node
      node_tasks:
        - task: !scylla-drain
          retries: 3
        - task: !systemd-stop-scylla-server
        - task: !systemd-start-service
            service: scylla-server
        - task: !wait-for-conditions
            conditions:
              - condition: !node-up-normal
                poll_interval_seconds: 1
                timeout_seconds: 120
              - condition: !scylla-pending-compactions
                  max: 0
                success_window_seconds: 2
                poll_interval_seconds: 1
                timeout_seconds: 120
`;

type Cluster = ReturnType<typeof virtualCluster>['cluster'];
type Clock = ReturnType<typeof virtualCluster>['clock'];

async function runJob(setup?: (c: Cluster) => void, during?: (c: Cluster, clock: Clock) => Promise<void>) {
  const { clock, cluster } = virtualCluster({ nodesPerZone: 2 });
  setup?.(cluster);
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
  provideSimServices(registry, cluster);
  const workflow = parseWorkflow(WORKFLOW, { registry, fileName: 'drain-restart.yaml' });
  const jobPlan = plan(workflow, cluster.inventory(), {}, {}, { registry });
  const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: SEED, retryJitterRatio: 0 });
  const outcome = await clock.run(async () => {
    const job = await engine.start(jobPlan, { operator: 'test', workflowText: WORKFLOW });
    const [done] = await Promise.all([job.done, during?.(cluster, clock)]);
    return done;
  });
  await clock.run(engine.close());
  return { cluster, outcome };
}

describe('the engine runs a drain-restart workflow against the in-process simulator', () => {
  it('drains, stops and starts each node in turn, each back and settled before the next begins', async () => {
    const { cluster, outcome } = await runJob();
    expect(outcome.state).toBe('succeeded');
    const log = cluster.oplog.entries();
    const first = (node: string, action: string, after = 0): SimOpLogEntry | undefined => log.find((e) => e.node === node && e.action === action && e.seq > after);
    const order = cluster.nodes.map((n) => n.id).sort((a, b) => first(a, 'drain')!.seq - first(b, 'drain')!.seq);
    expect(order).toHaveLength(6);
    for (const [i, id] of order.entries()) {
      const drain = first(id, 'drain')!;
      const stop = first(id, 'systemctl-stop', drain.seq)!;
      const start = first(id, 'systemctl-start', stop.seq)!;
      const settled = first(id, 'compactions-settled', start.seq)!;
      expect([drain, stop, start, settled].every(Boolean)).toBe(true);
      const next = order[i + 1];
      if (next) expect(first(next, 'drain')!.seq).toBeGreaterThan(settled.seq);
    }
    // zones never overlapped: all nodes of a zone are consecutive
    const zones = order.map((id) => cluster.node(id).zone);
    expect(zones.filter((z, i) => i === 0 || z !== zones[i - 1])).toHaveLength(3);
  });

  it('halts with an unrecoverable error when a node never comes back', async () => {
    let victim = '';
    const { cluster, outcome } = await runJob((c) => {
      victim = c.nodes[0]!.id;
      c.faults.inject({ kind: 'never-return', node: victim });
    });
    expect(outcome.state).toBe('failed');
    expect(outcome.failedNodes).toEqual([victim]);
    expect(cluster.oplog.entries({ node: victim, actions: ['start-failed'] }).length).toBeGreaterThan(0);
  });

  it('retries through a burst of 5xx replies and completes', async () => {
    const { cluster, outcome } = await runJob((c) => {
      c.faults.inject({ kind: 'api-errors', node: c.nodes[3]!.id, count: 2, status: 500, pathPrefix: '/storage_service/drain', method: 'POST' });
    });
    expect(outcome.state).toBe('succeeded');
    expect(cluster.oplog.entries({ node: cluster.nodes[3]!.id, actions: ['drained'] })).toHaveLength(1);
    expect(cluster.faults.list()).toEqual([]);
  });

  it('holds the next drain while a second node is down (quorum-safe), and goes on once it is back', async () => {
    const { cluster, outcome } = await runJob(
      (c) => {
        // when the first node (zone rack1) is drained, a node of zone rack2 loses its host
        c.faults.inject({ kind: 'kill-on', node: c.nodes[2]!.id, trigger: { action: 'drained' }, host: true });
      },
      async (c, clock) => {
        await clock.sleep(90_000);
        c.powerOn(c.nodes[2]!.id);
      },
    );
    expect(outcome.state).toBe('succeeded');
    const victim = cluster.nodes[2]!.id;
    const log = cluster.oplog.entries();
    const killed = log.find((e) => e.node === victim && e.action === 'killed')!;
    const back = log.find((e) => e.node === victim && e.action === 'serving' && e.seq > killed.seq)!;
    expect(back).toBeDefined();
    const drainsWhileDown = log.filter((e) => e.action === 'drain' && e.seq > killed.seq && e.seq < back.seq);
    expect(drainsWhileDown).toEqual([]);
    expect(back.atMs - killed.atMs).toBeGreaterThanOrEqual(90_000 - 10_000);
    expect(log.filter((e) => e.action === 'drain').length).toBe(6);
  });

  it('is deterministic: the same seed gives the same operation log, instant for instant', async () => {
    const a = (await runJob()).cluster.oplog.entries().map((e) => [e.atMs, e.node, e.action, JSON.stringify(e.detail)]);
    const b = (await runJob()).cluster.oplog.entries().map((e) => [e.atMs, e.node, e.action, JSON.stringify(e.detail)]);
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(60);
  });
});
