import fs from 'node:fs';
import path from 'node:path';
import { SystemClock } from '@scylla-cp/core';
import { RaftSimTopology, SimCluster, SimPrometheus, type SimNode } from '@scylla-cp/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tempHome } from './cli-harness.js';

// Issue 15 item 7 (progress-aware waits), streaming percentage, through the built CLI against the
// simulated cluster over HTTP: a join longer than the wait's timeout_seconds passes with
// stall_timeout_seconds while its streaming advances, and fails at the stall once it stops.

const home = tempHome();
beforeAll(() => assertBuilt());
afterAll(() => home.cleanup());

const WORKFLOW = `name: join and wait on streaming
cluster_tasks:
  - task: !node-workflow
      name: join
      membership: new
      concurrency_unit: node
      node_tasks:
        - task: !systemd-start-service {service: scylla-server}
        - task: !wait-for-conditions
            conditions:
              - {condition: !topology-request-done {}, poll_interval_seconds: 0.5, timeout_seconds: 2, stall_timeout_seconds: 2}
`;

let simCount = 0;
async function startSim(): Promise<{ cluster: SimCluster; topo: RaftSimTopology; fresh: SimNode; inventory: string; workflow: string; stop(): Promise<void> }> {
  const clock = new SystemClock();
  const name = `progress-wait-${++simCount}`;
  // 60 s of streaming at timeScale 0.1: 6 s of wall time, three times the wait's timeout
  const cluster = new SimCluster({ name, clock, seed: 13, nodesPerZone: 2, timeScale: 0.1, datacenters: [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }], timing: { bootstrapMs: 60_000 } });
  await cluster.start();
  const prometheus = new SimPrometheus(cluster.scrapeTargets(), { now: () => clock.now() });
  await prometheus.listen();
  const fresh = await cluster.addNewNode({ dc: 'dc1', rack: 'rack1' });
  const inventory = path.join(home.dir, `${name}-inventory.yaml`);
  await cluster.writeInventory(inventory, { prometheusUrl: prometheus.url });
  const workflow = path.join(home.dir, `${name}.yaml`);
  fs.writeFileSync(workflow, WORKFLOW);
  return {
    cluster,
    topo: cluster.topology as RaftSimTopology,
    fresh,
    inventory,
    workflow,
    async stop() {
      await prometheus.close();
      await cluster.stop();
    },
  };
}

describe('progress-aware wait on a join through the CLI (issue 15 item 7)', () => {
  it('a join streaming 3x longer than timeout_seconds passes while its streaming percentage rises', async () => {
    const sim = await startSim();
    try {
      const r = await runCli(['run', sim.workflow, '-i', sim.inventory, '--yes'], home.env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const [begin, done] = sim.cluster.oplog.entries({ node: sim.fresh.id, actions: ['bootstrap', 'bootstrap-done'] });
      expect(done!.atMs - begin!.atMs).toBeGreaterThanOrEqual(6000); // longer than the 2 s timeout
      expect(sim.topo.state(sim.fresh.id)).toBe('normal');
    } finally {
      await sim.stop();
    }
  }, 120_000);

  it('a join whose streaming stops advancing fails the wait at the stall, with where it stalled', async () => {
    const sim = await startSim();
    try {
      let stalledAt = 0;
      const off = sim.cluster.oplog.subscribe((e) => {
        if (e.action !== 'bootstrap' || e.node !== sim.fresh.id) return;
        setTimeout(() => {
          sim.cluster.stallStreaming(sim.fresh.id);
          stalledAt = Date.now();
        }, 3000);
      });
      const r = await runCli(['run', sim.workflow, '-i', sim.inventory, '--yes'], home.env);
      off();
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(stalledAt).toBeGreaterThan(0);
      expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(2000); // failed no sooner than one stall timeout after the stall
      const id = /scylla-cp status (\S+)/.exec(r.stdout)?.[1];
      const status = await runCli(['status', id!], home.env);
      expect(status.stdout).toMatch(/streaming % stalled at \d+(\.\d+)?/);
      expect(sim.topo.state(sim.fresh.id)).not.toBe('normal');
      sim.cluster.stallStreaming(sim.fresh.id, false);
    } finally {
      await sim.stop();
    }
  }, 120_000);
});
