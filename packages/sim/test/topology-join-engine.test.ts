import { corePlugin, Engine, MemoryStore, parseWorkflow, plan, PluginRegistry, type JobOutcome } from '@scylla-cp/core';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { provideSimServices, RaftSimTopology, simGroup0Leader, type SimCluster } from '../src/index.js';
import { SEED, getJson, virtualCluster } from './helpers.js';

function workflow(task: string, retries = 0): string {
  return `name: join
cluster_tasks:
  - task: !node-workflow
      name: join new nodes
      membership: new
      concurrency_unit: node
      node_tasks:
        - task: ${task}
          retries: ${retries}
        - task: !wait-for-conditions
            conditions:
              - condition: !node-joined {}
                timeout_seconds: 120
`;
}

async function run(cluster: SimCluster, clock: ReturnType<typeof virtualCluster>['clock'], text: string, nodes?: string[], store = new MemoryStore()): Promise<JobOutcome> {
  const registry = new PluginRegistry().register(corePlugin, scyllaPlugin);
  provideSimServices(registry, cluster);
  const wf = parseWorkflow(text, { registry, fileName: 'join.yaml' });
  const jobPlan = plan(wf, cluster.inventory(), nodes ? { nodes } : {}, {}, { registry });
  const engine = new Engine({ store, registry, clock, seed: SEED, retryJitterRatio: 0 });
  const outcome = await clock.run(async () => (await engine.start(jobPlan, { operator: 'test', workflowText: text })).done);
  await clock.run(engine.close());
  return outcome;
}

describe(`scylla-bootstrap / scylla-replace through the engine on the Raft topology (SEED=${SEED})`, () => {
  it('a new node joins: seeds written, started, its join request done after bootstrapMs of streaming; node-joined holds', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 9000 } });
    const topo = cluster.topology as RaftSimTopology;
    const fresh = await cluster.addNewNode({ dc: cluster.nodes[0]!.dc, rack: cluster.nodes[0]!.rack });
    expect(cluster.inventory().nodes.find((n) => n.id === fresh.id)).toMatchObject({ new: true });
    expect(topo.current.nodes[fresh.id]).toBeUndefined();
    const outcome = await run(cluster, clock, workflow('!scylla-bootstrap {}'));
    expect(outcome.state).toBe('succeeded');
    expect(topo.state(fresh.id)).toBe('normal');
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['join', fresh.id, 'done']]);
    const [begin, end] = cluster.oplog.entries({ node: fresh.id, actions: ['bootstrap', 'bootstrap-done'] });
    expect(end!.atMs - begin!.atMs).toBeGreaterThanOrEqual(9000);
    expect(fresh.files.get('/etc/scylla/scylla.yaml')!.content).toMatch(/seeds: [^\n]*10\./);
    const ids = (await getJson(cluster, cluster.nodes[0]!.id, '/storage_service/host_id')) as { key: string; value: string }[];
    expect(ids.map((e) => e.value)).toContain(fresh.hostId);
    // idempotent: running it again finds the node a member and starts nothing
    const starts = cluster.oplog.entries({ node: fresh.id, actions: ['systemctl-start'] }).length;
    const again = await run(cluster, clock, workflow('!scylla-bootstrap {}'), [fresh.id]).catch((e: unknown) => e);
    // the node is no longer new in the sim's inventory: membership new selects nothing
    expect(String(again)).toMatch(/selects no node/);
    expect(cluster.oplog.entries({ node: fresh.id, actions: ['systemctl-start'] })).toHaveLength(starts);
  });

  it('an attempt cut off mid-stream (timeout) is retried: the retry attaches to the same join request, starts nothing twice', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 20000 } });
    const topo = cluster.topology as RaftSimTopology;
    const fresh = await cluster.addNewNode({ dc: cluster.nodes[2]!.dc, rack: cluster.nodes[2]!.rack });
    const text = workflow('!scylla-bootstrap {}', 2).replace('          retries: 2', '          retries: 2\n          timeout_seconds: 8');
    expect(text).toContain('timeout_seconds: 8');
    const store = new MemoryStore();
    const outcome = await run(cluster, clock, text, undefined, store);
    expect(outcome.state, JSON.stringify(outcome.error)).toBe('succeeded');
    const step = (await store.getSteps(outcome.jobId)).find((x) => x.stepId.endsWith('/t0'))!;
    expect(step.attempts).toBeGreaterThanOrEqual(2); // the first attempt was cut off while the node streamed
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['join', fresh.id, 'done']]);
    expect(cluster.oplog.entries({ node: fresh.id, actions: ['bootstrap'] })).toHaveLength(1);
    expect(cluster.oplog.entries({ node: fresh.id, actions: ['systemctl-start'] })).toHaveLength(1);
    expect(topo.state(fresh.id)).toBe('normal');
  });

  it('a joiner killed mid-stream is rolled back; the task fails with the coordinator reason, unrecoverable', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 20000 } });
    const topo = cluster.topology as RaftSimTopology;
    const fresh = await cluster.addNewNode({ dc: cluster.nodes[0]!.dc, rack: cluster.nodes[0]!.rack });
    const off = cluster.oplog.subscribe((e) => {
      if (e.node === fresh.id && e.action === 'bootstrap') cluster.scheduler.schedule(clock.now() + 5000, () => cluster.kill(fresh.id));
    });
    const outcome = await run(cluster, clock, workflow('!scylla-bootstrap {}', 2));
    off();
    expect(outcome.state).toBe('failed');
    const req = Object.values(topo.current.requests).find((r) => r.nodeId === fresh.id)!;
    expect(req.status).toBe('failed');
    expect(req.reason).toMatch(/Rolled back/);
    expect(topo.state(fresh.id)).toBe('left');
    expect(String(outcome.error?.message ?? JSON.stringify(outcome))).toContain('failed in the topology coordinator');
    expect(cluster.oplog.entries({ node: fresh.id, actions: ['bootstrap-failed'] })).toHaveLength(1);
  });

  it('a die-during bootstrap fault kills the joiner mid-stream: rolled back, the node left, its restart refused', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 10000 } });
    const topo = cluster.topology as RaftSimTopology;
    const fresh = await cluster.addNewNode({ dc: cluster.nodes[1]!.dc, rack: cluster.nodes[1]!.rack });
    cluster.faults.inject({ kind: 'die-during', node: fresh.id, operation: 'bootstrap', afterMs: 3000 });
    const outcome = await run(cluster, clock, workflow('!scylla-bootstrap {}'));
    expect(outcome.state).toBe('failed');
    const [begin] = cluster.oplog.entries({ node: fresh.id, actions: ['bootstrap'] });
    const [killed] = cluster.oplog.entries({ node: fresh.id, actions: ['killed'] });
    expect(killed!.atMs - begin!.atMs).toBeGreaterThanOrEqual(3000);
    expect(killed!.atMs - begin!.atMs).toBeLessThan(10000);
    const req = Object.values(topo.current.requests).find((r) => r.nodeId === fresh.id)!;
    expect(req).toMatchObject({ kind: 'join', status: 'failed' });
    expect(topo.state(fresh.id)).toBe('left');
    expect(topo.ring()).toHaveLength((cluster.nodes.length - 1) * cluster.options.tokensPerNode); // the joiner's tokens are gone again
    const again = await clock.run(cluster.systemctlStart(fresh.id));
    expect(again.exitCode).not.toBe(0);
  });

  it('the topology leader killed mid-join: a coordinator of a later term resumes the saga; the join and the job complete', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 12000 } });
    const topo = cluster.topology as RaftSimTopology;
    const fresh = await cluster.addNewNode({ dc: cluster.nodes[0]!.dc, rack: cluster.nodes[0]!.rack });
    const termBefore = topo.current.coordinatorTerm;
    let victim: string | undefined;
    const off = cluster.oplog.subscribe((e) => {
      if (e.node !== fresh.id || e.action !== 'bootstrap') return;
      cluster.scheduler.schedule(clock.now() + 4000, () => {
        victim = simGroup0Leader(cluster)?.id;
        if (victim) cluster.kill(victim);
      });
      cluster.scheduler.schedule(clock.now() + 9000, () => {
        if (victim) void cluster.systemctlStart(victim);
      });
    });
    const outcome = await run(cluster, clock, workflow('!scylla-bootstrap {}'));
    off();
    expect(outcome.state, JSON.stringify(outcome.error)).toBe('succeeded');
    expect(victim).toBeDefined();
    const [begin, done] = cluster.oplog.entries({ node: fresh.id, actions: ['bootstrap', 'bootstrap-done'] });
    const [killed] = cluster.oplog.entries({ node: victim!, actions: ['killed'] });
    expect(killed!.atMs).toBeGreaterThan(begin!.atMs);
    expect(killed!.atMs).toBeLessThan(done!.atMs);
    expect(topo.current.coordinatorTerm).toBeGreaterThan(termBefore);
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['join', fresh.id, 'done']]);
    expect(topo.state(fresh.id)).toBe('normal');
  });

  it('a second join requested while one streams is queued by the coordinator: both complete, one after the other', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 8000 } });
    const topo = cluster.topology as RaftSimTopology;
    const a = await cluster.addNewNode({ dc: 'dc1', rack: 'rack1' });
    const b = await cluster.addNewNode({ dc: 'dc1', rack: 'rack2' });
    const text = workflow('!scylla-bootstrap {}').replace('concurrency_unit: node', 'concurrency_unit: dc\n      concurrency_limit: 2');
    expect(text).toContain('concurrency_limit: 2');
    const outcome = await run(cluster, clock, text);
    expect(outcome.state, JSON.stringify(outcome.error)).toBe('succeeded');
    const ops = cluster.oplog.entries({ actions: ['bootstrap', 'bootstrap-done'] });
    expect(ops.slice(0, 2).map((e) => e.action)).toEqual(['bootstrap', 'bootstrap']); // both requested before either finished
    const done = ops.filter((e) => e.action === 'bootstrap-done');
    expect(done[1]!.atMs - done[0]!.atMs).toBeGreaterThanOrEqual(8000); // the second streamed after the first
    for (const h of topo.history) expect(Object.values(h.nodeStates).filter((x) => x === 'bootstrapping').length).toBeLessThanOrEqual(1);
    expect(Object.values(topo.current.requests).map((r) => r.status)).toEqual(['done', 'done']);
    expect([topo.state(a.id), topo.state(b.id)]).toEqual(['normal', 'normal']);
  });

  it('replace of a dead node: the new node takes over its tokens; the dead node left', async () => {
    const { clock, cluster } = virtualCluster({ timing: { bootstrapMs: 5000, failureDetectionDelayMs: 1000 } });
    const topo = cluster.topology as RaftSimTopology;
    const dead = cluster.nodes[4]!;
    const tokens = [...topo.tokensOf(dead.id)];
    cluster.kill(dead.id);
    await clock.advance(2000);
    const fresh = await cluster.addNewNode({ dc: dead.dc, rack: dead.rack, replaces: dead.id });
    expect(cluster.inventory().nodes.find((n) => n.id === fresh.id)).toMatchObject({ new: true, replaces: dead.id });
    const outcome = await run(cluster, clock, workflow('!scylla-replace {}'));
    expect(outcome.state).toBe('succeeded');
    expect(Object.values(topo.current.requests).map((r) => [r.kind, r.nodeId, r.status])).toEqual([['replace', fresh.id, 'done']]);
    expect(topo.state(dead.id)).toBe('left');
    expect([...topo.tokensOf(fresh.id)].sort()).toEqual(tokens.sort());
    expect(fresh.files.get('/etc/scylla/scylla.yaml')!.content).toContain(`replace_node_first_boot: ${dead.hostId}`);
  });

  it('a replace naming a live node is refused before anything starts: unrecoverable, with the reason', async () => {
    const { clock, cluster } = virtualCluster({});
    const topo = cluster.topology as RaftSimTopology;
    const alive = cluster.nodes[4]!;
    const fresh = await cluster.addNewNode({ dc: alive.dc, rack: alive.rack, replaces: alive.id });
    const outcome = await run(cluster, clock, workflow('!scylla-replace {}', 3));
    expect(outcome.state).toBe('failed');
    expect(JSON.stringify(outcome)).toMatch(/is alive/);
    expect(cluster.oplog.entries({ node: fresh.id, actions: ['systemctl-start'] })).toHaveLength(0);
    expect(Object.values(topo.current.requests)).toHaveLength(0);
    expect(topo.state(alive.id)).toBe('normal');
  });
});
