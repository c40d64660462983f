import { describe, expect, it } from 'vitest';
import { Engine, MemoryStore, PluginRegistry, VirtualClock, corePlugin, parseWorkflow, plan } from '@scylla-cp/core';
import { SimCluster, SimShell, provideSimServices } from '@scylla-cp/sim';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { examplePlugin } from '../src/index.js';

const WORKFLOW = `name: Banner, restart, and let caches warm
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

async function setup() {
  const clock = new VirtualClock();
  const cluster = new SimCluster({ name: 'plugin-example', clock, seed: 11, nodesPerZone: 1, datacenters: [{ name: 'dc1', zones: ['a', 'b'] }] });
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, examplePlugin);
  provideSimServices(registry, cluster);
  const workflow = parseWorkflow(WORKFLOW, { registry, fileName: 'banner.yaml' });
  const jobPlan = plan(workflow, cluster.inventory(), {}, {}, { registry });
  const engine = new Engine({ store: new MemoryStore(), registry, clock });
  return { clock, cluster, registry, jobPlan, engine };
}

describe('scylla-cp-plugin-example', () => {
  it('registers beside the built-in plugins without tag clashes', () => {
    const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, examplePlugin);
    expect(registry.lookup('nodeTask', 'maintenance-banner')?.plugin).toBe('scylla-cp-plugin-example');
    expect(registry.lookup('condition', 'scylla-uptime-at-least')?.plugin).toBe('scylla-cp-plugin-example');
  });

  it('runs in a workflow: writes the banner, restarts, and waits until Scylla has been up 30 s', async () => {
    const { clock, cluster, jobPlan, engine } = await setup();
    const polls: { node?: string; ok: boolean; detail: string; at: number }[] = [];
    engine.on('condition-poll', (e) => polls.push({ node: e.nodeId, ok: e.ok, detail: e.detail, at: e.at }));
    const job = await engine.start(jobPlan, { operator: 'test', workflowText: WORKFLOW });
    const outcome = await clock.run(job.done);
    expect(outcome.state).toBe('succeeded');
    for (const node of cluster.nodes) {
      const motd = await new SimShell(cluster, node.id).run(['cat', '/etc/motd']);
      expect(motd.stdout).toBe('rolling restart by scylla-cp\n');
      const nodePolls = polls.filter((p) => p.node === node.id);
      expect(nodePolls.some((p) => !p.ok)).toBe(true); // right after the restart the uptime is short
      expect(nodePolls.at(-1)!.detail).toMatch(/uptime \d+(\.\d)?s >= 30s/);
    }
    // one node at a time: the second node's restart comes after the first node's wait passed
    const restarts = cluster.oplog.entries({ actions: ['systemctl-restart'] });
    expect(restarts.map((e) => e.node)).toEqual(cluster.nodes.map((n) => n.id));
    const firstPassed = polls.filter((p) => p.node === cluster.nodes[0]!.id && p.ok).at(-1)!.at;
    expect(restarts[1]!.atMs).toBeGreaterThanOrEqual(firstPassed);
  });

  it('the banner task is idempotent: a second run writes nothing', async () => {
    const { clock, cluster, registry } = await setup();
    const node = cluster.nodes[0]!;
    const sim = new SimShell(cluster, node.id);
    const commands: string[][] = [];
    const shell = { run: (argv: readonly string[], o?: object) => (commands.push([...argv]), sim.run(argv, o)) };
    const banner = registry.create('nodeTask', 'maintenance-banner', { text: 'hello' });
    const ctx = {
      node: cluster.inventory().nodes[0]!,
      inventory: cluster.inventory(),
      job: { id: 'j', operator: 'o', variables: {}, workflowName: 'w' },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      clock,
      signal: new AbortController().signal,
      attempt: 1,
      stepId: 's',
      services: { get: () => shell, has: () => true },
    } as never;
    expect(await banner.execute(ctx)).toEqual({ changed: true });
    expect(await banner.execute(ctx)).toEqual({ changed: false });
    expect(commands).toEqual([['cat', '/etc/motd'], ['tee', '/etc/motd'], ['cat', '/etc/motd']]);
    expect((await sim.run(['cat', '/etc/motd'])).stdout).toBe('hello\n');
  });
});
