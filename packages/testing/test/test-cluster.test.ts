import { describe, expect, it } from 'vitest';
import { definePlugin, defineClusterTask, RecoverableError } from '@scylla-cp/core';
import { z } from 'zod';
import { startTestCluster } from '../src/index.js';

describe('@scylla-cp/testing, in-process on a virtual clock', () => {
  it('runs one node task through the engine and shows it in the operation log and the store', async () => {
    const t = await startTestCluster();
    try {
      const node = t.nodeIds[1]!;
      const run = await t.runTask('systemd-restart-service', { service: 'scylla-server' }, { nodes: [node] });
      expect(run.outcome.state).toBe('succeeded');
      expect(run.job.state).toBe('succeeded');
      const taskStep = run.steps.find((s) => s.nodeId === node);
      expect(taskStep?.state).toBe('succeeded');
      const restarts = t.oplog({ actions: ['systemctl-restart'] });
      expect(restarts.map((e) => e.node)).toEqual([node]);
    } finally {
      await t.stop();
    }
  });

  it('an injected fault is retried as the step says, and the attempts are recorded', async () => {
    const t = await startTestCluster();
    try {
      const node = t.nodeIds[0]!;
      t.injectFault({ kind: 'api-errors', node, count: 2, status: 503, pathPrefix: '/storage_service/drain' });
      const run = await t.runTask('scylla-drain', {}, { nodes: [node], retries: 3 });
      expect(run.outcome.state).toBe('succeeded');
      expect(run.steps.find((s) => s.nodeId === node)?.attempts).toBe(3);
      expect(t.oplog({ node, actions: ['drained'] })).toHaveLength(1);

      const failing = await startTestCluster();
      try {
        const fault = failing.injectFault({ kind: 'api-errors', node, status: 503, pathPrefix: '/storage_service/drain' });
        const failed = await failing.runTask('scylla-drain', {}, { nodes: [node], retries: 1 });
        expect(failed.outcome.state).toBe('failed');
        expect(failed.steps.find((s) => s.nodeId === node)?.attempts).toBe(2);
        // a failed run does not keep the cluster from the next one
        failing.clearFault(fault);
        expect((await failing.runTask('scylla-drain', {}, { nodes: [node] })).outcome.state).toBe('succeeded');
      } finally {
        await failing.stop();
      }
    } finally {
      await t.stop();
    }
  });

  it('checks a condition through !wait-for-conditions: fails while a node is down, holds once it is back', async () => {
    const t = await startTestCluster();
    try {
      const node = t.nodeIds[2]!;
      const start = t.clock.now();
      t.cluster.kill(node);
      const down = await t.checkCondition('node-up-normal', {}, { nodes: [node], pollIntervalSeconds: 5, timeoutSeconds: 30 });
      expect(down.outcome.state).toBe('failed');
      expect(down.polls.length).toBeGreaterThan(1);
      expect(down.polls.every((p) => !p.ok)).toBe(true);
      expect(t.clock.now() - start).toBeGreaterThanOrEqual(30_000); // virtual time: took no real 30 s

      t.cluster.powerOn(node); // the host is back; scylla-server is not started by itself
      expect((await t.runTask('systemd-start-service', { service: 'scylla-server' }, { nodes: [node] })).outcome.state).toBe('succeeded');
      const up = await t.checkCondition('node-up-normal', {}, { nodes: [node], pollIntervalSeconds: 5, successWindowSeconds: 10, timeoutSeconds: 600 });
      expect(up.outcome.state, JSON.stringify(up.polls.slice(-3))).toBe('succeeded');
      expect(up.polls.at(-1)!.ok).toBe(true);
    } finally {
      await t.stop();
    }
  });

  it('runs a cluster task of your plugin, and a whole workflow', async () => {
    let calls = 0;
    const flaky = definePlugin({
      name: 'flaky-test-plugin',
      version: '0.0.0',
      clusterTasks: {
        'flaky-once': defineClusterTask({
          description: 'fails recoverably on the first call',
          params: z.object({ label: z.string() }).strict(),
          create: (p) => ({
            name: () => 'flaky-once',
            preconditions: () => [],
            async execute() {
              calls += 1;
              if (calls === 1) throw new RecoverableError('first call fails');
              return { label: p.label, calls };
            },
          }),
        }),
      },
    });
    const t = await startTestCluster({ plugins: [flaky] });
    try {
      const run = await t.runTask('flaky-once', { label: 'x' }, { retries: 1 });
      expect(run.outcome.state).toBe('succeeded');
      expect(run.steps[0]).toMatchObject({ state: 'succeeded', attempts: 2, result: { label: 'x', calls: 2 } });

      const wf = await t.runWorkflow(
        `name: drain then restart\ncluster_tasks:\n  - task: !node-workflow\n      name: each\n      node_tasks:\n        - task: !scylla-drain\n        - task: !systemd-restart-service\n            service: scylla-server\n`,
        { targeting: { zones: ['a', 'b'] } },
      );
      expect(wf.outcome.state).toBe('succeeded');
      const ops = t.oplog({ actions: ['drained', 'systemctl-restart'] }).map((e) => `${e.node}:${e.action}`);
      expect(ops).toEqual(['dc1-a-n1:drained', 'dc1-a-n1:systemctl-restart', 'dc1-b-n1:drained', 'dc1-b-n1:systemctl-restart']);
    } finally {
      await t.stop();
    }
  });
});

describe('@scylla-cp/testing over HTTP', () => {
  it('serves the nodes on 127.0.0.1 and runs a task through the real HTTP clients', async () => {
    const t = await startTestCluster({ mode: 'http', speed: 100 });
    try {
      const node = t.nodeIds[0]!;
      const api = t.inventory.nodes[0]!.connection['scylla_api'] as { port: number };
      const res = await fetch(`http://127.0.0.1:${api.port}/storage_service/operation_mode`);
      expect(await res.json()).toBe('NORMAL');
      const run = await t.runTask('scylla-drain', {}, { nodes: [node] });
      expect(run.outcome.state, JSON.stringify(run.outcome.error)).toBe('succeeded');
      expect(t.oplog({ node, actions: ['drain'] })[0]?.actor).toBe('rest');
    } finally {
      await t.stop();
    }
  });
});
