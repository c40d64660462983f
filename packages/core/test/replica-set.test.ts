import { describe, expect, test } from 'vitest';
import {
  colourConflicts,
  conflictGraph,
  formatPlan,
  parseInventory,
  parseWorkflow,
  plan,
  planJob,
  plannedPreconditionChecks,
  Prng,
  ringDigest,
  WorkflowError,
  type ClusterInventory,
  type NodeWorkflowStep,
  type RingProvider,
  type TokenRing,
} from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const registry = standInRegistry();
const SEED = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31;
console.log(`replica-set properties: SEED=${SEED}`);

/** n nodes, in `zones` zones round-robin, dc d1. */
function inventoryOf(n: number, zones = 1): ClusterInventory {
  const lines = Array.from({ length: n }, (_, i) => `  - {id: n${i}, address: 10.0.0.${i}, dc: d1, rack: r${i % zones}}`);
  return parseInventory(`name: c\nnodes:\n${lines.join('\n')}\n`);
}

/** A SimpleStrategy ring: `tokens` per node, placed by `prng`, replicas = the next `rf` distinct owners clockwise. */
function simpleRing(inv: ClusterInventory, keyspace: string, rf: number, tokens: number, prng: Prng | undefined): TokenRing['keyspaces'][number] {
  const owners: { t: number; node: string }[] = [];
  inv.nodes.forEach((n, i) => {
    for (let k = 0; k < tokens; k++) owners.push({ t: prng ? prng.nextUint32() : i * 1000 + k, node: n.address });
  });
  owners.sort((a, b) => a.t - b.t);
  const ranges = owners.map((o, i) => {
    const endpoints: string[] = [];
    for (let j = 0; j < owners.length && endpoints.length < rf; j++) {
      const e = owners[(i + j) % owners.length]!.node;
      if (!endpoints.includes(e)) endpoints.push(e);
    }
    return { start: String(owners[(i - 1 + owners.length) % owners.length]!.t), end: String(o.t), endpoints };
  });
  return { keyspace, ranges };
}

const wf = (settings: string, vars = '') =>
  parseWorkflow(
    `name: w
${vars}cluster_tasks:
  - task: !node-workflow
      name: restart
      concurrency_unit: replica_set
${settings}      node_tasks:
        - task: !scylla-drain
        - task: !systemd-stop-scylla-server
`,
    { registry, fileName: 'w.yaml' },
  );

describe('concurrency_unit: replica_set (issue 15)', () => {
  test('9 nodes, one token each, RF 3: three sets of three, proven optimal by a range all three replicate', () => {
    const inv = inventoryOf(9);
    const ring: TokenRing = { keyspaces: [simpleRing(inv, 'ks', 3, 1, undefined)] };
    const p = plan(wf(''), inv, {}, {}, { registry, ring });
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s.batches.map((b) => b.nodes)).toEqual([
      ['n0', 'n3', 'n6'],
      ['n1', 'n4', 'n7'],
      ['n2', 'n5', 'n8'],
    ]);
    expect(s.concurrencyLimit).toBe(3); // no limit given: a set runs at once
    expect(s.replicaSet).toMatchObject({ keyspaces: ['ks'], ringDigest: ringDigest(ring, ['ks']) });
    expect(s.replicaSet!.groups).toEqual([
      { unit: 'all', nodes: 9, conflictPairs: 18, sets: 3, lowerBound: 3, optimal: true, clique: expect.any(Array), cliqueRange: expect.objectContaining({ keyspace: 'ks' }) },
    ]);
    const text = formatPlan(p);
    expect(text).toContain('9 nodes, 3 replica set batches run one after another, up to 3 nodes at a time per replica set');
    expect(text).toContain('replica sets: nodes run together only when no two of them replicate a common token range of ks');
    expect(text).toMatch(/9 nodes, 18 conflicting pairs, 3 sets \(optimal\); at least 3 sets are needed: n\d, n\d, n\d all replicate range \(\d+, \d+\] of ks/);
    expect(text).toContain('batch s0/b0 set 1/3 (3): n0, n3, n6');
    expect(text).toContain('why: no two of these 3 nodes replicate a common token range of ks');
  });

  test('property: no batch holds two nodes that share a range; every node once; sets >= clique; the clique is one (SEED printed)', () => {
    const prng = new Prng(SEED);
    for (let run = 0; run < 25; run++) {
      const n = 3 + (prng.nextUint32() % 30);
      const inv = inventoryOf(n, 1 + (prng.nextUint32() % 3));
      const rf = 1 + (prng.nextUint32() % 3);
      const ring: TokenRing = { keyspaces: [simpleRing(inv, 'a', rf, 1 + (prng.nextUint32() % 8), prng), simpleRing(inv, 'b', 2, 1, prng)] };
      const within = prng.nextUint32() % 2 === 0 ? '' : '      replica_set: {within: zone}\n';
      const s = plan(wf(within), inv, {}, {}, { registry, ring }).steps[0] as NodeWorkflowStep;
      const byAddr = new Map(inv.nodes.map((x) => [x.address, x.id]));
      const shares = (a: string, b: string) =>
        ring.keyspaces.some((k) => k.ranges.some((r) => r.endpoints.map((e) => byAddr.get(e)).includes(a) && r.endpoints.map((e) => byAddr.get(e)).includes(b)));
      const all = s.batches.flatMap((b) => b.nodes);
      expect([...all].sort()).toEqual(inv.nodes.map((x) => x.id).sort());
      for (const b of s.batches) {
        for (let i = 0; i < b.nodes.length; i++) for (let j = i + 1; j < b.nodes.length; j++) expect(shares(b.nodes[i]!, b.nodes[j]!), `SEED=${SEED} run ${run}`).toBe(false);
        if (within) expect(new Set(b.nodes.map((id) => inv.nodes.find((x) => x.id === id)!.zone)).size).toBe(1);
      }
      for (const g of s.replicaSet!.groups) {
        expect(g.sets).toBeGreaterThanOrEqual(g.lowerBound);
        for (let i = 0; i < g.clique.length; i++) for (let j = i + 1; j < g.clique.length; j++) expect(shares(g.clique[i]!, g.clique[j]!)).toBe(true);
      }
    }
  });

  test('deterministic: the same ring gives the same plan, byte for byte, whatever order the ring lists ranges in', () => {
    const inv = inventoryOf(30, 3);
    const prng = new Prng(SEED + 7);
    const ring: TokenRing = { keyspaces: [simpleRing(inv, 'a', 3, 16, prng), simpleRing(inv, 'b', 2, 4, prng)] };
    const shuffled: TokenRing = { keyspaces: [...ring.keyspaces].reverse().map((k) => ({ ...k, ranges: [...k.ranges].reverse() })) };
    const one = JSON.stringify(plan(wf(''), inv, {}, {}, { registry, ring }));
    expect(JSON.stringify(plan(wf(''), inv, {}, {}, { registry, ring: structuredClone(ring) }))).toBe(one);
    const other = plan(wf(''), inv, {}, {}, { registry, ring: shuffled }).steps[0] as NodeWorkflowStep;
    expect(other.replicaSet!.ringDigest).toBe((JSON.parse(one).steps[0] as NodeWorkflowStep).replicaSet!.ringDigest);
  });

  test('within: zone runs the zones one after another, each split into its own sets', () => {
    const inv = inventoryOf(12, 3);
    const ring: TokenRing = { keyspaces: [simpleRing(inv, 'ks', 3, 1, undefined)] };
    const s = plan(wf('      replica_set: {within: zone}\n      concurrency_limit: 2\n'), inv, {}, {}, { registry, ring }).steps[0] as NodeWorkflowStep;
    expect(s.concurrencyLimit).toBe(2);
    expect(s.batches.map((b) => b.unit)).toEqual(['r0 set 1/1', 'r1 set 1/1', 'r2 set 1/1']);
    expect(s.batches.map((b) => b.nodes)).toEqual([
      ['n0', 'n3', 'n6', 'n9'],
      ['n1', 'n4', 'n7', 'n10'],
      ['n2', 'n5', 'n8', 'n11'],
    ]);
    expect(s.replicaSet!.within).toBe('zone');
  });

  test('only the chosen keyspaces count; the default is every keyspace not marked local', () => {
    const inv = inventoryOf(6);
    const serial = simpleRing(inv, 'wide', 6, 1, undefined); // every node replicates every range
    const ring: TokenRing = { keyspaces: [simpleRing(inv, 'app', 2, 1, undefined), serial, { ...simpleRing(inv, 'system', 6, 1, undefined), local: true }] };
    const named = plan(wf('      replica_set: {keyspaces: [app]}\n'), inv, {}, {}, { registry, ring }).steps[0] as NodeWorkflowStep;
    expect(named.batches).toHaveLength(2);
    const dflt = plan(wf(''), inv, {}, {}, { registry, ring }).steps[0] as NodeWorkflowStep;
    expect(dflt.replicaSet!.keyspaces).toEqual(['app', 'wide']);
    expect(dflt.batches).toHaveLength(6);
    expect(dflt.batches[0]!.reason).toBe('every node shares a token range of app, wide with every other one here: one at a time');
  });

  test('bad settings: unknown keyspace (did you mean), no ring, replica_set options on another unit, unknown key', () => {
    const inv = inventoryOf(3);
    const ring: TokenRing = { keyspaces: [simpleRing(inv, 'app_data', 2, 1, undefined)] };
    expect(() => plan(wf('      replica_set: {keyspaces: [app_dta]}\n'), inv, {}, {}, { registry, ring })).toThrow(
      /w\.yaml:3:11: !node-workflow: replica_set\.keyspaces: no token ring for keyspace app_dta \(did you mean "app_data"\?\)/,
    );
    expect(() => plan(wf(''), inv, {}, {}, { registry })).toThrow(expect.objectContaining({ code: 'RING_REQUIRED' }));
    const other = parseWorkflow(
      'name: w\ncluster_tasks:\n  - task: !node-workflow {name: r, concurrency_unit: zone, replica_set: {within: zone}, node_tasks: [{task: !scylla-drain}]}\n',
      { registry },
    );
    expect(() => plan(other, inv, {}, {}, { registry, ring })).toThrow(/replica_set settings need concurrency_unit: replica_set \(this node workflow groups by zone\)/);
    try {
      wf('      replica_set: {keyspace: [a], within: region}\n');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowError);
      const msgs = (e as WorkflowError).problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message} (${p.hint})`);
      expect(msgs).toEqual([
        '6:21 !node-workflow: unknown key "keyspace" in replica_set (did you mean "keyspaces"?)',
        expect.stringMatching(/^6:44 !node-workflow: replica_set\.within: the string "region" is not allowed/),
      ]);
    }
  });

  test('planJob reads the ring only when needed, and puts the re-check before each node of the step', async () => {
    const inv = inventoryOf(6);
    const calls: (readonly string[] | undefined)[] = [];
    const provider: RingProvider = {
      ring: async (_inv, keyspaces) => {
        calls.push(keyspaces);
        return { keyspaces: keyspaces ? keyspaces.map((k) => ({ ...simpleRing(inv, k, 3, 1, undefined), local: true })) : [simpleRing(inv, 'app', 3, 1, undefined)] };
      },
      recheckCondition: (keyspaces, digest) => ({ condition: { $tag: 'cluster-normal', value: {} }, pollIntervalSeconds: 1, timeoutSeconds: 10, ...(keyspaces.length && digest ? {} : {}) }),
    };
    const p = await planJob(wf(''), inv, {}, {}, { registry, ringProvider: provider });
    expect(calls).toEqual([undefined]);
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s.tasks[0]!.preconditions).toEqual([{ condition: { $tag: 'cluster-normal', value: {} }, pollIntervalSeconds: 1, timeoutSeconds: 10 }]);
    expect(s.tasks[1]!.preconditions).toBeUndefined();
    expect(formatPlan(p)).toContain('t0. !scylla-drain (first waits for "!cluster-normal")');
    const checks = plannedPreconditionChecks(s.tasks[0]!, registry);
    expect(checks.map((c) => [c.condition.name(), c.pollIntervalSeconds, c.timeoutSeconds])).toEqual([['cluster-normal', 1, 10]]);
    // A named keyspace not among the non-local ones is fetched once more, and only the named step counts it.
    calls.length = 0;
    await planJob(wf('      replica_set: {keyspaces: [system_distributed]}\n'), inv, {}, {}, { registry, ringProvider: provider });
    expect(calls).toEqual([['system_distributed']]);
    calls.length = 0;
    const zoneWf = parseWorkflow('name: w\ncluster_tasks:\n  - task: !node-workflow {name: r, node_tasks: [{task: !scylla-drain}]}\n', { registry });
    await planJob(zoneWf, inv, {}, {}, { registry, ringProvider: provider });
    expect(calls).toEqual([]);
  });

  test('colourConflicts on a 5-cycle: the clique proves 2, the fractional bound proves 3, the optimum', () => {
    const inv = inventoryOf(5);
    const ranges = [0, 1, 2, 3, 4].map((i) => ({ start: String(i), end: String(i + 1), endpoints: [`10.0.0.${i}`, `10.0.0.${(i + 1) % 5}`] }));
    const g = conflictGraph({ keyspaces: [{ keyspace: 'k', ranges }] }, inv, inv.nodes.map((n) => n.id), ['k']);
    const c = colourConflicts(g);
    expect(c.sets).toHaveLength(3);
    expect(c.clique).toHaveLength(2);
    // The fractional bound (5 nodes, conflict-free sets of at most 2: 2.5) proves 3 where the clique proves 2.
    expect(c.fractionalBound).toBeGreaterThan(2.4);
    expect(c.fractionalBound).toBeLessThanOrEqual(2.5 + 1e-9);
    expect(c.lowerBound).toBe(3);
    expect(c.optimal).toBe(true);
  });

  test('a ring naming a node the inventory lacks is RING_MISMATCH', () => {
    const inv = inventoryOf(3);
    const ring: TokenRing = { keyspaces: [{ keyspace: 'k', ranges: [{ start: '0', end: '1', endpoints: ['10.0.0.0', '10.9.9.9'] }] }] };
    expect(() => plan(wf(''), inv, {}, {}, { registry, ring })).toThrow(expect.objectContaining({ code: 'RING_MISMATCH', message: expect.stringContaining('10.9.9.9') }));
  });
});
