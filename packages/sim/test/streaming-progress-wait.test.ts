// Issue 15 item 7 (progress-aware waits), streaming percentage: the simulator reports a join's
// streaming progress in its task_status (node_ops), and !topology-request-done with
// stall_timeout_seconds keeps waiting while it rises and fails once it stops rising.
import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry, type JobOutcome } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, RaftSimTopology, topologyTaskId, type SimCluster } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

const workflow = (stall: string) => `name: join and wait
cluster_tasks:
  - task: !node-workflow
      name: join
      membership: new
      concurrency_unit: node
      node_tasks:
        - task: !systemd-start-service {service: scylla-server}
        - task: !wait-for-conditions
            conditions:
              - {condition: !topology-request-done {}, poll_interval_seconds: 5, timeout_seconds: 30${stall}}
`;

async function run(cluster: SimCluster, clock: ReturnType<typeof virtualCluster>['clock'], text: string, alongside?: () => Promise<void>): Promise<JobOutcome> {
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
  provideSimServices(registry, cluster);
  const jobPlan = plan(parseWorkflow(text, { registry, fileName: 'join.yaml' }), cluster.inventory(), {}, {}, { registry });
  const engine = new Engine({ store: new MemoryStore(), registry, clock, seed: SEED, retryJitterRatio: 0 });
  const outcome = await clock.run(async () => {
    const job = await engine.start(jobPlan, { operator: 'test', workflowText: text });
    const [out] = await Promise.all([job.done, alongside?.()]);
    return out;
  });
  await clock.run(engine.close());
  return outcome;
}

async function joining(bootstrapMs: number) {
  const { clock, cluster } = virtualCluster({ timing: { bootstrapMs } });
  const topo = cluster.topology as RaftSimTopology;
  const fresh = await cluster.addNewNode({ dc: cluster.nodes[0]!.dc, rack: cluster.nodes[0]!.rack });
  return { clock, cluster, topo, fresh };
}

describe(`streaming progress of topology requests (issue 15 item 7, SEED=${SEED})`, () => {
  it("task_status reports the join's streaming percentage on the simulation's clock; it freezes while stalled and ends at 100", async () => {
    const { clock, cluster, topo, fresh } = await joining(100_000);
    const member = cluster.nodes[0]!.id;
    const outcome = await run(cluster, clock, workflow(', stall_timeout_seconds: 300'), async () => {
      // wait until the join request streams (the joiner's bootstrap starts its stream; then the coordinator's Raft steps run)
      const find = () => Object.values(topo.current.requests).find((r) => r.nodeId === fresh.id);
      for (let i = 0; i < 60_000 && !(find() && cluster.streamingPercent(find()!.id)); i++) await clock.sleep(10);
      const req = find();
      expect(req?.kind).toBe('join');
      const status = async () => (await getJson(cluster, member, `/task_manager/task_status/${topologyTaskId(cluster, req!.id)}`)) as Record<string, unknown>;
      const s0 = await status();
      expect(s0).toMatchObject({ state: 'running', progress_units: 'percent', progress_total: 100 });
      // polled every 10 ms: the stream began less than 10 ms (0.01 % of 100 s) ago
      const p0 = s0['progress_completed'] as number;
      expect(p0).toBeGreaterThanOrEqual(0);
      expect(p0).toBeLessThanOrEqual(0.01);
      await clock.sleep(25_000);
      const s1 = await status();
      expect(s1).toMatchObject({ state: 'running', type: 'bootstrap', progress_units: 'percent', progress_total: 100 });
      // 25 s more of a 100 s stream: 25 % more
      expect(s1['progress_completed'] as number).toBeCloseTo(p0 + 25, 5);
      cluster.stallStreaming(fresh.id);
      await clock.sleep(200_000);
      const s2 = await status();
      expect(s2['state']).toBe('running');
      expect(s2['progress_completed']).toBe(s1['progress_completed']);
      cluster.stallStreaming(fresh.id, false);
      await clock.sleep(50_000);
      expect(await status()).toMatchObject({ state: 'running', });
      expect((await status())['progress_completed'] as number).toBeCloseTo(p0 + 75, 5);
      await clock.sleep(25_100);
      expect(await status()).toMatchObject({ state: 'done', progress_total: 100, progress_completed: 100 });
    });
    expect(outcome.state).toBe('succeeded');
    expect(topo.state(fresh.id)).toBe('normal');
  });

  it("a decommission's task_status progress follows its streaming (decommissionMs) and a failed one keeps what it streamed", async () => {
    const { clock, cluster, topo } = await joining(1000);
    const [a, b] = cluster.nodes;
    cluster.faults.inject({ kind: 'die-during', node: a!.id, operation: 'decommission', afterMs: cluster.timing.decommissionMs / 2 });
    const seen: number[] = [];
    await clock.run(async () => {
      const call = cluster.request(a!.id, 'POST', '/storage_service/decommission').catch((e: unknown) => e);
      for (let i = 0; i < 10_000 && !Object.values(topo.current.requests).some((r) => r.status === 'failed'); i++) {
        const r = Object.values(topo.current.requests)[0];
        if (r) seen.push(((await getJson(cluster, b!.id, `/task_manager/task_status/${topologyTaskId(cluster, r.id)}`)) as { progress_completed: number }).progress_completed);
        await clock.sleep(cluster.timing.decommissionMs / 20);
      }
      await call;
    });
    const req = Object.values(topo.current.requests)[0]!;
    expect([req.kind, req.status]).toEqual(['leave', 'failed']);
    expect(seen.length).toBeGreaterThan(5);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen); // never falls
    const last = ((await getJson(cluster, b!.id, `/task_manager/task_status/${topologyTaskId(cluster, req.id)}`)) as { state: string; progress_completed: number });
    expect(last.state).toBe('failed');
    // killed half-way into the stream: about 50 % streamed, frozen there
    expect(last.progress_completed).toBeGreaterThan(45);
    expect(last.progress_completed).toBeLessThanOrEqual(50);
  });

  it('a 120 s join fails a 30 s wait; with stall_timeout_seconds the wait follows the streaming up and passes', async () => {
    const plain = await joining(120_000);
    const out = await run(plain.cluster, plain.clock, workflow(''));
    expect(out.state).toBe('failed');
    expect(JSON.stringify(out.error)).toContain('topology-request-done');
    const patient = await joining(120_000);
    const t0 = patient.clock.now();
    expect((await run(patient.cluster, patient.clock, workflow(', stall_timeout_seconds: 20'))).state).toBe('succeeded');
    expect(patient.clock.now() - t0).toBeGreaterThanOrEqual(120_000);
    expect(patient.topo.state(patient.fresh.id)).toBe('normal');
  });

  it('a join whose streaming stops advancing fails the wait stall_timeout_seconds after its last progress', async () => {
    const { clock, cluster, fresh } = await joining(120_000);
    // streaming stalls 45 s into the stream: past the 30 s timeout, progress stops at about 37.5 %
    let stalledAt = 0;
    const stallAt45s = async () => {
      for (let i = 0; i < 300; i++) {
        const b = cluster.oplog.entries({ node: fresh.id, actions: ['bootstrap'] })[0];
        if (b && clock.now() >= b.atMs + 45_000) {
          cluster.stallStreaming(fresh.id);
          stalledAt = clock.now();
          return;
        }
        await clock.sleep(1000);
      }
    };
    const out = await run(cluster, clock, workflow(', stall_timeout_seconds: 20'), stallAt45s);
    expect(out.state).toBe('failed');
    const err = JSON.stringify(out.error);
    expect(err).toMatch(/streaming % stalled at 3[67]\.\d+|streaming % stalled at 3[67]/);
    expect(stalledAt).toBeGreaterThan(0);
    // failed within one stall timeout (plus one poll) of the last improvement, not at the timeout
    expect(clock.now() - stalledAt).toBeGreaterThanOrEqual(15_000);
    expect(clock.now() - stalledAt).toBeLessThanOrEqual(30_000);
  });
});
