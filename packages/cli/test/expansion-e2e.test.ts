import fs from 'node:fs';
import path from 'node:path';
import { SystemClock } from '@scylla-cp/core';
import { RaftSimTopology, SimCluster, SimPrometheus, simGroup0LeaderNow, type SimNode } from '@scylla-cp/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO, runCli, startWebhook, tempHome } from './cli-harness.js';

// Issue 19: grow, shrink and heal a cluster through the built CLI, against the simulated cluster
// over HTTP; every test asserts from the simulator's Raft topology state and operation log.

const home = tempHome();
beforeAll(() => assertBuilt());
afterAll(() => home.cleanup());

interface Sim {
  cluster: SimCluster;
  topo: RaftSimTopology;
  inventory(): Promise<string>;
  stop(): Promise<void>;
}

let simCount = 0;
async function startSim(bootstrapMs: number): Promise<Sim> {
  const clock = new SystemClock();
  const name = `expansion-${++simCount}`;
  const cluster = new SimCluster({
    name,
    clock,
    seed: 11,
    nodesPerZone: 2,
    timeScale: 0.1,
    datacenters: [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }],
    timing: { bootstrapMs, failureDetectionDelayMs: 2000 },
  });
  await cluster.start();
  const prometheus = new SimPrometheus(cluster.scrapeTargets(), { now: () => clock.now() });
  await prometheus.listen();
  return {
    cluster,
    topo: cluster.topology as RaftSimTopology,
    async inventory() {
      const f = path.join(home.dir, `${name}-inventory.yaml`);
      await cluster.writeInventory(f, { prometheusUrl: prometheus.url });
      return f;
    },
    async stop() {
      await prometheus.close();
      await cluster.stop();
    },
  };
}

const example = (f: string) => path.join(REPO, 'examples/workflows', f);
const requestsOf = (sim: Sim, kind: string) => Object.values(sim.topo.current.requests).filter((r) => r.kind === kind);


describe('expansion, shrink and replacement through the CLI (issue 19)', () => {
  it('expands a 6-node cluster by 3 nodes; the topology leader is killed during a join; the saga resumes and the job completes', async () => {
    const sim = await startSim(20_000);
    try {
      const fresh: SimNode[] = [];
      for (const rack of ['rack1', 'rack2', 'rack3']) fresh.push(await sim.cluster.addNewNode({ dc: 'dc1', rack }));
      const inv = await sim.inventory();
      let victim: SimNode | undefined;
      const off = sim.cluster.oplog.subscribe((e) => {
        if (e.action !== 'bootstrap' || e.node !== fresh[1]!.id || victim) return;
        void (async () => {
          await new Promise((r) => setTimeout(r, 500)); // mid-stream (2 s of streaming at timeScale 0.1)
          victim = await simGroup0LeaderNow(sim.cluster);
          sim.cluster.kill(victim!.id);
          await new Promise((r) => setTimeout(r, 1500));
          await sim.cluster.systemctlStart(victim!.id); // systemd brings it back
        })();
      });
      const termBefore = sim.topo.current.coordinatorTerm;
      const r = await runCli(['run', example('expand.yaml'), '-i', inv, '--var', 'keyspace=ks1', '--yes'], home.env);
      off();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // a coordinator of a later term (a new leader) took the saga over
      expect(sim.topo.current.coordinatorTerm).toBeGreaterThan(termBefore);
      expect(victim).toBeDefined();
      expect(fresh.map((n) => n.id)).not.toContain(victim!.id);
      const [begin, done] = sim.cluster.oplog.entries({ node: fresh[1]!.id, actions: ['bootstrap', 'bootstrap-done'] });
      const killed = sim.cluster.oplog.entries({ node: victim!.id, actions: ['killed'] })[0]!;
      expect(killed.atMs).toBeGreaterThan(begin!.atMs);
      expect(killed.atMs).toBeLessThan(done!.atMs);
      expect((await simGroup0LeaderNow(sim.cluster))?.id).toBeDefined();
      expect(requestsOf(sim, 'join').map((q) => [q.nodeId, q.status])).toEqual(fresh.map((n) => [n.id, 'done']));
      for (const n of fresh) expect(sim.topo.state(n.id)).toBe('normal');
      expect(sim.cluster.oplog.entries({ actions: ['cleanup'] }).map((e) => e.node).sort()).toEqual(
        sim.cluster.nodes.filter((n) => !fresh.includes(n)).map((n) => n.id).sort(),
      );
    } finally {
      await sim.stop();
    }
  }, 180_000);

  it('a joiner killed mid-stream is rolled back: the task fails with the coordinator reason, the job halts and pages', async () => {
    const sim = await startSim(30_000);
    const hook = await startWebhook();
    try {
      const joiner = await sim.cluster.addNewNode({ dc: 'dc1', rack: 'rack2' });
      const inv = await sim.inventory();
      const off = sim.cluster.oplog.subscribe((e) => {
        if (e.action === 'bootstrap' && e.node === joiner.id) setTimeout(() => sim.cluster.kill(joiner.id), 800);
      });
      const r = await runCli(['run', example('expand.yaml'), '-i', inv, '--var', 'keyspace=ks1', '--yes', '--notify', `webhook:${hook.url}`], home.env);
      off();
      expect(r.code).toBe(1);
      const [req] = requestsOf(sim, 'join');
      expect(req).toMatchObject({ nodeId: joiner.id, status: 'failed' });
      expect(req!.reason).toMatch(/Rolled back/);
      expect(sim.topo.state(joiner.id)).toBe('left');
      expect(sim.cluster.oplog.entries({ node: joiner.id, actions: ['bootstrap-failed'] })).toHaveLength(1);
      expect(sim.cluster.oplog.entries({ actions: ['cleanup'] })).toHaveLength(0); // halted before the cleanups
      const id = /scylla-cp status (\S+)/.exec(r.stdout)?.[1];
      const status = await runCli(['status', id!], home.env);
      expect(status.stdout).toContain('failed in the topology coordinator');
      expect(status.stdout).toContain('Rolled back');
      expect(JSON.stringify(hook.received)).toContain(joiner.id);
    } finally {
      await hook.close();
      await sim.stop();
    }
  }, 180_000);

  it('two joins requested at once both complete, one after the other', async () => {
    const sim = await startSim(15_000);
    try {
      const a = await sim.cluster.addNewNode({ dc: 'dc1', rack: 'rack1' });
      const b = await sim.cluster.addNewNode({ dc: 'dc1', rack: 'rack2' });
      const inv = await sim.inventory();
      const wf = path.join(home.dir, 'join-both.yaml');
      fs.writeFileSync(
        wf,
        `name: Join two nodes at once
cluster_tasks:
  - task: !node-workflow
      name: Join both
      membership: new
      concurrency_unit: dc
      concurrency_limit: 2
      node_tasks:
        - task: !scylla-bootstrap {}
        - task: !wait-for-conditions
            conditions:
              - condition: !node-joined {}
                timeout_seconds: 120
`,
      );
      const r = await runCli(['run', wf, '-i', inv, '--yes'], home.env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(requestsOf(sim, 'join').map((q) => q.status)).toEqual(['done', 'done']);
      const ops = sim.cluster.oplog.entries({ actions: ['bootstrap', 'bootstrap-done'] }).map((e) => `${e.action} ${e.node}`);
      // both requested before either finished ...
      expect(ops.slice(0, 2).sort()).toEqual([`bootstrap ${a.id}`, `bootstrap ${b.id}`].sort());
      // ... and the coordinator ran them one after the other: never two nodes bootstrapping at once
      for (const s of sim.topo.history) expect(Object.values(s.nodeStates).filter((x) => x === 'bootstrapping').length).toBeLessThanOrEqual(1);
      expect(sim.topo.state(a.id)).toBe('normal');
      expect(sim.topo.state(b.id)).toBe('normal');
    } finally {
      await sim.stop();
    }
  }, 180_000);

  it('replaces a dead node', async () => {
    const sim = await startSim(10_000);
    try {
      const dead = sim.cluster.nodes[3]!;
      const tokens = [...sim.topo.tokensOf(dead.id)].sort();
      sim.cluster.kill(dead.id);
      await new Promise((r) => setTimeout(r, 400)); // failure detection (2 s at timeScale 0.1)
      const fresh = await sim.cluster.addNewNode({ dc: dead.dc, rack: dead.rack, replaces: dead.id });
      const r = await runCli(['run', example('replace-dead-node.yaml'), '-i', await sim.inventory(), '--yes'], home.env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(requestsOf(sim, 'replace').map((q) => [q.nodeId, q.params.replacedId, q.status])).toEqual([[fresh.id, dead.id, 'done']]);
      expect(sim.topo.state(dead.id)).toBe('left');
      expect([...sim.topo.tokensOf(fresh.id)].sort()).toEqual(tokens);
    } finally {
      await sim.stop();
    }
  }, 180_000);

  it('a replace naming a live node is refused: unrecoverable, with the reason; nothing started', async () => {
    const sim = await startSim(10_000);
    try {
      const alive = sim.cluster.nodes[2]!;
      const fresh = await sim.cluster.addNewNode({ dc: alive.dc, rack: alive.rack, replaces: alive.id });
      // with retries allowed: an unrecoverable refusal is still attempted once only
      const wf = path.join(home.dir, 'replace-with-retries.yaml');
      const text = fs.readFileSync(example('replace-dead-node.yaml'), 'utf8').replace('timeout_seconds: 14400', 'timeout_seconds: 14400\n          retries: 3');
      expect(text).toContain('retries: 3');
      fs.writeFileSync(wf, text);
      const r = await runCli(['run', wf, '-i', await sim.inventory(), '--yes'], home.env);
      expect(r.code).toBe(1);
      const id = /scylla-cp status (\S+)/.exec(r.stdout)?.[1];
      const status = await runCli(['status', id!], home.env);
      expect(status.stdout).toMatch(/is alive/);
      expect(status.stdout).toMatch(/!scylla-replace: failed, attempts 1,/);
      expect(requestsOf(sim, 'replace')).toHaveLength(0);
      expect(sim.cluster.oplog.entries({ node: fresh.id, actions: ['systemctl-start'] })).toHaveLength(0);
      expect(sim.topo.state(alive.id)).toBe('normal');
    } finally {
      await sim.stop();
    }
  }, 180_000);
});
