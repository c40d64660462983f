import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '@scylla-cp/testing';
import { plugin } from '../src/index.js';

let t: TestCluster;
afterEach(() => t?.stop());

const ROLLING = `name: Banner, restart, and let caches warm
cluster_tasks:
  - task: !node-workflow
      name: each node
      concurrency_unit: zone
      concurrency_limit: 1
      node_tasks:
        - task: !maintenance-banner
            text: rolling restart by scylla-cp
        - task: !systemd-restart-service
            service: scylla-server
        - task: !wait-for-conditions
            conditions:
              - condition: !scylla-uptime-at-least
                  seconds: 30
                poll_interval_seconds: 5
                timeout_seconds: 600
`;

describe('!scylla-uptime-at-least (condition)', () => {
  it('holds on a node that has been up long enough, and not right after a restart', async () => {
    t = await startTestCluster({ plugins: [plugin] });
    const node = t.nodeIds[0]!;
    const restarted = await t.runTask('systemd-restart-service', { service: 'scylla-server' }, { nodes: [node] });
    expect(restarted.outcome.state).toBe('succeeded');
    const short = await t.checkCondition('scylla-uptime-at-least', { seconds: 3600 }, { nodes: [node], pollIntervalSeconds: 10, timeoutSeconds: 60 });
    expect(short.outcome.state).toBe('failed');
    expect(short.polls.at(-1)!.detail).toMatch(/^uptime \d+(\.\d)?s < 3600s$/);

    const warm = await t.checkCondition('scylla-uptime-at-least', { seconds: 30 }, { nodes: [node], pollIntervalSeconds: 5, timeoutSeconds: 600 });
    expect(warm.outcome.state).toBe('succeeded');
    expect(warm.polls.at(-1)!.detail).toMatch(/>= 30s$/);
  });

  it('paces a rolling restart: the next zone restarts only after the previous node has been up 30 s', async () => {
    t = await startTestCluster({ plugins: [plugin], zones: ['a', 'b'] });
    const run = await t.runWorkflow(ROLLING);
    expect(run.outcome.state).toBe('succeeded');
    const restarts = t.oplog({ actions: ['systemctl-restart'] });
    expect(restarts.map((e) => e.node)).toEqual(t.nodeIds);
    const firstNodePassed = run.polls.filter((p) => p.nodeId === t.nodeIds[0] && p.ok).at(-1)!.at;
    expect(restarts[1]!.atMs).toBeGreaterThanOrEqual(firstNodePassed);
    expect(run.polls.some((p) => !p.ok)).toBe(true);
  });
});
