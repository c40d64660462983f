// Issue 15 items 5 and 6 on the in-process simulator: tablet balancing and the maintenance marker in
// finally_tasks, the group0 leader stepping down before its restart.
import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry } from '@scylla-cp/core';
import { DEFAULT_MAINTENANCE_MARKER_PATH, scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, simGroup0Leader, simGroup0LeaderNow, simTabletBalancing } from '../src/index.js';
import { getJson, SEED, virtualCluster } from './helpers.js';

const WORKFLOW = `name: restart with clean-up
cluster_tasks:
  - task: !maintenance-marker {state: "on"}
  - task: !tablet-balancing {enabled: false}
  - task: !node-workflow
      name: restart
      concurrency_unit: zone
      node_tasks:
        - task: !scylla-raft-stepdown
        - task: !scylla-drain
        - task: !systemd-stop-scylla-server
        - task: !systemd-start-service {service: scylla-server}
        - task: !wait-for-conditions
            conditions:
              - {condition: !node-up-normal, poll_interval_seconds: 1, timeout_seconds: 120}
finally_tasks:
  - task: !tablet-balancing {enabled: true}
  - task: !maintenance-marker {state: "off"}
`;

async function run(setup?: (c: ReturnType<typeof virtualCluster>['cluster']) => void) {
  const { clock, cluster } = virtualCluster({ nodesPerZone: 2 });
  setup?.(cluster);
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
  provideSimServices(registry, cluster);
  const workflow = parseWorkflow(WORKFLOW, { registry, fileName: 'w.yaml' });
  const jobPlan = plan(workflow, cluster.inventory(), {}, {}, { registry });
  const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: SEED, retryJitterRatio: 0 });
  const leaderAtDrain: Array<[string, string | undefined]> = [];
  const balancingDuring: boolean[] = [];
  engine.on('step', (e) => {
    if (e.state === 'running' && e.task === 'scylla-drain') {
      leaderAtDrain.push([e.nodeId!, simGroup0Leader(cluster)?.id]);
      balancingDuring.push(simTabletBalancing(cluster));
    }
  });
  const outcome = await clock.run(async () => (await engine.start(jobPlan, { operator: 'alice', workflowText: WORKFLOW, jobId: 'job-1' })).done);
  await clock.run(engine.close());
  return { cluster, outcome, leaderAtDrain, balancingDuring };
}

describe('issue 15 clean-up and role tasks on the simulator', () => {
  it('balancing is off while nodes restart and on after; the marker is on during the job and off after; no node is drained while it leads group0', async () => {
    const { cluster, outcome, leaderAtDrain, balancingDuring } = await run();
    expect(outcome.state, JSON.stringify(outcome.error)).toBe('succeeded');
    expect(outcome.state, JSON.stringify(outcome.error)).toBe('succeeded');
    expect(balancingDuring).toHaveLength(6);
    expect(balancingDuring.every((b) => b === false)).toBe(true);
    expect(simTabletBalancing(cluster)).toBe(true);
    for (const [node, leader] of leaderAtDrain) expect(leader, `${node} was drained while leading group0`).not.toBe(node);
    const stepdowns = cluster.oplog.entries().filter((e) => e.action === 'raft-stepdown');
    expect(stepdowns.length).toBeGreaterThanOrEqual(1);
    for (const n of cluster.nodes) {
      const f = n.files.get(DEFAULT_MAINTENANCE_MARKER_PATH);
      expect(f?.content).toContain('scylla_cp_maintenance{cluster="');
      expect(f?.content).toContain('job="job-1",workflow="restart with clean-up",operator="alice"} 0\n');
    }
    const marks = cluster.oplog.entries().filter((e) => e.action === 'tablet-balancing').map((e) => e.detail['enabled']);
    expect(marks).toEqual([false, true]);
  });

  it('a failed job still turns balancing back on and clears the marker', async () => {
    const { cluster, outcome } = await run((c) => c.faults.inject({ kind: 'never-return', node: c.nodes[3]!.id }));
    expect(outcome.state).toBe('failed');
    expect(simTabletBalancing(cluster)).toBe(true);
    for (const n of cluster.nodes) expect(n.files.get(DEFAULT_MAINTENANCE_MARKER_PATH)?.content).toMatch(/} 0\n$/);
  });

  it('leader_host answers a JSON string host id; trigger_stepdown on a follower is a 500 and on the leader hands over', async () => {
    const { clock, cluster } = virtualCluster({ nodesPerZone: 1 });
    await clock.run(async () => {
      await clock.sleep(60_000); // the nodes started
      const leader = (await simGroup0LeaderNow(cluster))!;
      const follower = cluster.nodes.find((n) => n.id !== leader.id)!;
      expect(await getJson(cluster, follower.id, '/raft/leader_host')).toBe(leader.hostId);
      const refused = await cluster.request(follower.id, 'POST', '/raft/trigger_stepdown/');
      expect(refused.status).toBe(500);
      expect(JSON.parse(refused.body)).toEqual({ message: `std::runtime_error (Node ${follower.hostId} is not a leader of group0)`, code: 500 });
      const ok = await cluster.request(leader.id, 'POST', '/raft/trigger_stepdown/');
      expect([ok.status, ok.body]).toEqual([200, '""']);
      const after = simGroup0Leader(cluster);
      expect(after?.id).not.toBe(leader.id);
      expect(await getJson(cluster, leader.id, '/raft/leader_host')).toBe(after!.hostId);
      const bad = await cluster.request(leader.id, 'POST', '/storage_service/tablets/balancing');
      expect([bad.status, JSON.parse(bad.body).message]).toEqual([400, "Missing mandatory parameter 'enabled'"]);
    });
  });
});

describe('stall_timeout_seconds on the simulator (issue 15 item 7)', () => {
  const wf = (stall: string) => `name: settle
cluster_tasks:
  - task: !node-workflow
      name: restart one
      node_tasks:
        - task: !systemd-restart-service {service: scylla-server}
        - task: !wait-for-conditions
            conditions:
              - {condition: !node-up-normal, poll_interval_seconds: 1, timeout_seconds: 120}
              - {condition: !scylla-pending-compactions {max: 0}, poll_interval_seconds: 2, timeout_seconds: 10${stall}}
`;
  async function settle(stall: string, stuck = false) {
    const { clock, cluster } = virtualCluster({ nodesPerZone: 1, timing: { restartCompactionBacklogPerShard: 20 } });
    const node = cluster.nodes[0]!.id;
    if (stuck) cluster.faults.inject({ kind: 'compactions-never-settle', node });
    const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
    provideSimServices(registry, cluster);
    const text = wf(stall);
    const jobPlan = plan(parseWorkflow(text, { registry, fileName: 'settle.yaml' }), cluster.inventory(), { nodes: [node] }, {}, { registry });
    const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: SEED, retryJitterRatio: 0 });
    const outcome = await clock.run(async () => (await engine.start(jobPlan, { operator: 'o', workflowText: text })).done);
    await clock.run(engine.close());
    return outcome;
  }

  it('a 30 s compaction backlog fails a 10 s wait; with stall_timeout_seconds the wait follows it down and passes', async () => {
    const plainWait = await settle('');
    expect(plainWait.state).toBe('failed');
    expect(plainWait.error?.message).toContain('scylla-pending-compactions');
    expect((await settle(', stall_timeout_seconds: 10')).state).toBe('succeeded');
  });

  it('compactions that stop progressing fail the wait stall_timeout_seconds after their last improvement', async () => {
    const out = await settle(', stall_timeout_seconds: 10', true);
    expect(out.state).toBe('failed');
    expect(JSON.stringify(out.error)).toContain('pending compactions stalled at');
  });
});
