import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_ABANDON_GRACE_SECONDS,
  DEFAULT_NODE_WORKFLOW_SETTINGS,
  DEFAULT_RETRIES,
  DEFAULT_RETRY_BACKOFF,
  formatPlan,
  InvalidInputError,
  nodeStepId,
  parseInventory,
  parseWorkflow,
  plan,
  planBatches,
  type ClusterInventory,
  type ConcurrencyUnit,
  type InventoryNode,
  type NodeWorkflowStep,
} from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const registry = standInRegistry();
const CANONICAL = readFileSync(new URL('../../../examples/workflows/drain-restart.yaml', import.meta.url), 'utf8');
const SEED = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31;
console.log(`planner properties: SEED=${SEED}`);

const INVENTORY = parseInventory(`name: c1
nodes:
  - {id: n1, address: 10.0.0.1, dc: dc2, rack: r1, zone: z-b}
  - {id: n2, address: 10.0.0.2, dc: dc1, rack: r1, zone: z-c}
  - {id: n3, address: 10.0.0.3, dc: dc1, rack: r2, zone: z-a}
  - {id: n4, address: 10.0.0.4, dc: dc2, rack: r1, zone: z-b}
  - {id: n5, address: 10.0.0.5, dc: dc1, rack: r1, zone: z-c}
`);

describe('plan: the canonical workflow', () => {
  const wf = parseWorkflow(CANONICAL, { registry, fileName: 'drain-restart.yaml' });

  test('expands the node workflow by zone with defaults, substituting variables', () => {
    const p = plan(wf, INVENTORY, {}, {}, { registry });
    expect(p.formatVersion).toBe(1);
    expect(p.workflowName).toBe('Drain and restart each node in the cluster');
    expect(p.cluster).toBe('c1');
    expect(p.variables).toEqual({ compactions_nominal_timeout_seconds: 90 });
    expect(p.inventory).toEqual(INVENTORY);
    expect(p.inventory).not.toBe(INVENTORY);
    expect(p.steps).toHaveLength(1);
    const s = p.steps[0] as NodeWorkflowStep;
    expect(s).toMatchObject({ kind: 'node-workflow', id: 's0', name: 'Drain and restart each node', concurrencyUnit: 'zone', concurrencyLimit: 1, abortOnFirstFailure: true });
    // Groups sorted by dc, then unit name; nodes in inventory order.
    expect(s.batches).toEqual([
      { id: 's0/b0', unit: 'z-a', nodes: ['n3'] },
      { id: 's0/b1', unit: 'z-c', nodes: ['n2', 'n5'] },
      { id: 's0/b2', unit: 'z-b', nodes: ['n1', 'n4'] },
    ]);
    expect(s.tasks.map((t) => t.tag)).toEqual(['scylla-drain', 'systemd-stop-scylla-server', 'systemd-start-service', 'wait-for-conditions']);
    expect(s.tasks[2]).toEqual({ tag: 'systemd-start-service', params: { service: 'scylla-server' }, retries: 0, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 60 } });
    expect(s.tasks[3]!.params).toEqual({
      conditions: [{ condition: { $tag: 'compactions-nominal', value: {} }, success_window_seconds: 20, poll_interval_seconds: 5, timeout_seconds: 90 }],
    });
    // The plan is plain JSON.
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  test('variables given at invocation (CLI strings) are coerced and substituted', () => {
    const p = plan(wf, INVENTORY, { zones: ['z-b'] }, { compactions_nominal_timeout_seconds: '300' }, { registry });
    const s = p.steps[0] as NodeWorkflowStep;
    expect((s.tasks[3]!.params as { conditions: { timeout_seconds: number }[] }).conditions[0]!.timeout_seconds).toBe(300);
    expect(s.batches).toEqual([{ id: 's0/b0', unit: 'z-b', nodes: ['n1', 'n4'] }]);
    expect(p.targeting).toStrictEqual({ zones: ['z-b'] });
    expect(plan(wf, INVENTORY, { nodes: undefined, exclude: ['n1'] }, {}, { registry }).targeting).toStrictEqual({ exclude: ['n1'] });
  });

  test('the same inputs give the same plan', () => {
    const a = JSON.stringify(plan(wf, INVENTORY, {}, {}, { registry }));
    const b = JSON.stringify(plan(parseWorkflow(CANONICAL, { registry }), structuredClone(INVENTORY), {}, {}, { registry }));
    expect(a).toBe(b);
  });

  test('formatPlan prints batches, node order and tasks', () => {
    expect(formatPlan(plan(wf, INVENTORY, { exclude: ['n5'] }, {}, { registry }))).toBe(
      `Plan: workflow "Drain and restart each node in the cluster" on cluster "c1" (5 nodes in inventory)
Targeting: all nodes, excluding n5
Variables: compactions_nominal_timeout_seconds=90
1. [s0] node workflow "Drain and restart each node": 4 nodes, 3 zone batches run one after another, up to 1 node at a time per zone, halt on first failure
   on each node, in order:
     t0. !scylla-drain
     t1. !systemd-stop-scylla-server
     t2. !systemd-start-service {"service":"scylla-server"}
     t3. !wait-for-conditions {"conditions":[{"condition":"!compactions-nominal","success_window_seconds":20,"poll_interval_seconds":5,"timeout_seconds":90}]}
   batch s0/b0 zone z-a (1): n3
   batch s0/b1 zone z-c (1): n2
   batch s0/b2 zone z-b (2): n1, n4
`,
    );
  });
});

describe('plan: settings, defaults and errors', () => {
  const WF = `name: w
variables:
  - {name: ks, type: string}
  - {name: par, type: integer, default: 4}
  - {name: tries, type: integer, default: 2}
node_workflow_defaults: {concurrency_unit: rack, concurrency_limit: 2}
cluster_tasks:
  - task: !scylla-repair {keyspace: +ks+, parallel: +par+}
    retries: +tries+
    retry_backoff: {max_seconds: 30}
    timeout_seconds: 3600
  - task: !node-workflow
      name: flush
      abort_on_first_failure: false
      node_tasks:
        - task: !scylla-flush {keyspace: "+ks+_data"}
          retries: 1
  - task: !node-workflow
      name: one by one
      concurrency_unit: node
      concurrency_limit: 5
      node_tasks: [{task: !sleep {seconds: 1}}]
`;
  const wf = parseWorkflow(WF, { registry });

  test('retry defaults are documented constants', () => {
    expect(DEFAULT_RETRIES).toBe(0);
    expect(DEFAULT_RETRY_BACKOFF).toEqual({ initialSeconds: 5, multiplier: 2, maxSeconds: 60 });
    expect(DEFAULT_NODE_WORKFLOW_SETTINGS).toEqual({ concurrencyUnit: 'zone', concurrencyLimit: 1, abortOnFirstFailure: true });
  });

  test('cluster task specs, node_workflow_defaults, per-workflow overrides, unit node', () => {
    const p = plan(wf, INVENTORY, {}, { ks: 'app' }, { registry });
    expect(p.steps[0]).toEqual({
      kind: 'cluster-task',
      id: 's0',
      task: { tag: 'scylla-repair', params: { keyspace: 'app', parallel: 4 }, retries: 2, retryBackoff: { initialSeconds: 5, multiplier: 2, maxSeconds: 30 }, timeoutSeconds: 3600 },
    });
    const flush = p.steps[1] as NodeWorkflowStep;
    expect(flush).toMatchObject({ concurrencyUnit: 'rack', concurrencyLimit: 2, abortOnFirstFailure: false });
    expect(flush.tasks[0]).toMatchObject({ tag: 'scylla-flush', params: { keyspace: 'app_data' }, retries: 1 });
    // Racks are grouped within their dc (rack names repeat across dcs).
    expect(flush.batches).toEqual([
      { id: 's1/b0', unit: 'dc1/r1', nodes: ['n2', 'n5'] },
      { id: 's1/b1', unit: 'dc1/r2', nodes: ['n3'] },
      { id: 's1/b2', unit: 'dc2/r1', nodes: ['n1', 'n4'] },
    ]);
    const single = p.steps[2] as NodeWorkflowStep;
    expect(single).toMatchObject({ concurrencyUnit: 'node', concurrencyLimit: 5 });
    expect(single.batches.map((b) => b.nodes)).toEqual([['n2'], ['n3'], ['n5'], ['n1'], ['n4']]);
    expect(nodeStepId(single.id, 'n2', 0)).toBe('s2/n2/t0');
  });

  test('a value that breaks a schema after substitution is INVALID_PARAMS naming the place', () => {
    try {
      plan(parseWorkflow(WF, { registry, fileName: 'w.yaml' }), INVENTORY, {}, { ks: 'app', par: '40' }, { registry });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).code).toBe('INVALID_PARAMS');
      expect((e as Error).message).toBe('w.yaml:8:11: !scylla-repair: parameters: parallel: Too big: expected number to be <=16; check the variable values given for this job');
    }
    expect(() => plan(wf, INVENTORY, {}, { ks: 'app', tries: '-1' }, { registry })).toThrow(/retries: -1 is not a whole number >= 0/);
  });

  test('variable and targeting errors surface from plan()', () => {
    expect(() => plan(wf, INVENTORY, {}, {}, { registry })).toThrow(expect.objectContaining({ code: 'MISSING_VARIABLE' }));
    expect(() => plan(wf, INVENTORY, { nodes: ['n7'] }, { ks: 'a' }, { registry })).toThrow(expect.objectContaining({ code: 'UNKNOWN_NODE' }));
  });

  test('formatPlan shows cluster tasks with retries and timeouts, and unit node', () => {
    const text = formatPlan(plan(wf, INVENTORY, { nodes: ['n1', 'n3'] }, { ks: 'app' }, { registry }));
    expect(text).toContain('1. [s0] cluster task !scylla-repair {"keyspace":"app","parallel":4} [retries 2 (backoff 5s x2, max 30s), timeout 3600s per attempt]');
    expect(text).toContain('3. [s2] node workflow "one by one": 2 nodes, 2 node batches run one after another, one node at a time, halt on first failure');
    expect(text).toContain('Targeting: nodes n1, n3');
  });
});

describe('plan: zones and racks are keyed within their dc (issue 12)', () => {
  const TWO_DCS = parseInventory(`name: c2
nodes:
  - {id: a1, address: 10.0.1.1, dc: dc-a, rack: rack1}
  - {id: a2, address: 10.0.1.2, dc: dc-a, rack: rack2}
  - {id: b1, address: 10.0.2.1, dc: dc-b, rack: rack1}
  - {id: b2, address: 10.0.2.2, dc: dc-b, rack: rack2}
  - {id: a3, address: 10.0.1.3, dc: dc-a, rack: rack1, zone: only-a}
`);

  test('concurrency_unit zone: rack1 of two dcs (zone defaults to rack) are two batches, named dc/zone', () => {
    expect(planBatches('s0', TWO_DCS.nodes, 'zone')).toEqual([
      { id: 's0/b0', unit: 'dc-a/rack1', nodes: ['a1'] },
      { id: 's0/b1', unit: 'dc-a/rack2', nodes: ['a2'] },
      { id: 's0/b2', unit: 'only-a', nodes: ['a3'] },
      { id: 's0/b3', unit: 'dc-b/rack1', nodes: ['b1'] },
      { id: 's0/b4', unit: 'dc-b/rack2', nodes: ['b2'] },
    ]);
  });

  test('concurrency_unit rack: same care', () => {
    expect(planBatches('s0', TWO_DCS.nodes, 'rack').map((b) => [b.unit, b.nodes])).toEqual([
      ['dc-a/rack1', ['a1', 'a3']],
      ['dc-a/rack2', ['a2']],
      ['dc-b/rack1', ['b1']],
      ['dc-b/rack2', ['b2']],
    ]);
  });
});

describe('plan: abandon_grace_seconds (issue 12)', () => {
  const WF = `name: w
variables:
  - {name: grace, type: integer}
cluster_tasks:
  - task: !node-workflow
      name: drain
      node_tasks:
        - task: !scylla-drain
          timeout_seconds: 600
          abandon_grace_seconds: 120
        - task: !sleep {seconds: 1}
          abandon_grace_seconds: +grace+
        - task: !sleep {seconds: 1}
`;

  test('a task entry\'s abandon_grace_seconds is carried onto its TaskSpec; absent stays absent (engine default 60)', () => {
    const p = plan(parseWorkflow(WF, { registry }), INVENTORY, {}, { grace: '0' }, { registry });
    const tasks = (p.steps[0] as NodeWorkflowStep).tasks;
    expect(tasks[0]).toMatchObject({ timeoutSeconds: 600, abandonGraceSeconds: 120 });
    expect(tasks[1]!.abandonGraceSeconds).toBe(0);
    expect('abandonGraceSeconds' in tasks[2]!).toBe(false);
    expect(DEFAULT_ABANDON_GRACE_SECONDS).toBe(60);
    expect(formatPlan(p)).toContain('!scylla-drain [timeout 600s per attempt, abandon grace 120s]');
  });

  test('a grace out of range is refused at parse time with a location, and at plan time for a variable', () => {
    const bad = WF.replace('abandon_grace_seconds: 120', 'abandon_grace_seconds: -1');
    expect(() => parseWorkflow(bad, { registry, fileName: 'w.yaml' })).toThrow(/w\.yaml:10:34: .*abandon_grace_seconds.*negative/);
    expect(() => plan(parseWorkflow(WF, { registry }), INVENTORY, {}, { grace: '99999999' }, { registry })).toThrow(
      /node_tasks\.1\.abandon_grace_seconds: a duration is at most 2592000 seconds/,
    );
  });
});

describe('plan: properties', () => {
  const units: ConcurrencyUnit[] = ['zone', 'rack', 'dc', 'node'];
  const arbInventory = fc
    .array(fc.record({ dc: fc.constantFrom('dc1', 'dc2', 'dc3'), rack: fc.constantFrom('r1', 'r2'), zone: fc.constantFrom('za', 'zb', 'zc', 'zd') }), { minLength: 1, maxLength: 40 })
    .map((rows): ClusterInventory => ({
      name: 'c',
      connection: {},
      nodes: rows.map((r, i): InventoryNode => ({ id: `node-${(i * 7919) % 1000}-${i}`, address: `10.1.${i >> 8}.${i & 255}`, dc: r.dc, rack: r.rack, zone: r.zone, labels: {}, connection: {} })),
    }));
  /** The documented batch unit: a zone name shared by several dcs (among the nodes planned) is shown as dc/zone. */
  const keyOf = (n: InventoryNode, u: ConcurrencyUnit, planned: readonly InventoryNode[]) =>
    u === 'zone'
      ? new Set(planned.filter((m) => m.zone === n.zone).map((m) => m.dc)).size > 1
        ? `${n.dc}/${n.zone}`
        : n.zone
      : u === 'rack'
        ? `${n.dc}/${n.rack}`
        : u === 'dc'
          ? n.dc
          : n.id;

  test('every targeted node is covered exactly once, batches are homogeneous, distinct and in documented order', () => {
    fc.assert(
      fc.property(arbInventory, fc.constantFrom(...units), fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (inv, unit, limit, excludeIdx) => {
        const exclude = [...new Set(excludeIdx.map((i) => inv.nodes[i % inv.nodes.length]!.id))];
        if (exclude.length === inv.nodes.length) exclude.pop();
        const text = `name: p\ncluster_tasks:\n  - task: !node-workflow {name: n, concurrency_unit: ${unit}, concurrency_limit: ${limit}, node_tasks: [{task: !scylla-drain}]}\n`;
        const p = plan(parseWorkflow(text, { registry }), inv, { exclude }, {}, { registry });
        const step = p.steps[0] as NodeWorkflowStep;
        const targeted = inv.nodes.filter((n) => !exclude.includes(n.id));
        const all = step.batches.flatMap((b) => b.nodes);
        expect([...all].sort()).toEqual(targeted.map((n) => n.id).sort());
        expect(new Set(all).size).toBe(all.length);
        const byId = new Map(inv.nodes.map((n) => [n.id, n]));
        const seen = new Set<string>();
        let prev: [string, string] | undefined;
        for (const b of step.batches) {
          const members = b.nodes.map((id) => byId.get(id)!);
          for (const m of members) expect(keyOf(m, unit, targeted)).toBe(b.unit);
          // A zone or rack batch never mixes dcs.
          if (unit !== 'dc' && unit !== 'node') expect(new Set(members.map((m) => m.dc)).size).toBe(1);
          expect(seen.has(b.unit)).toBe(false);
          seen.add(b.unit);
          // Nodes within a batch keep inventory order.
          const idx = members.map((m) => inv.nodes.indexOf(m));
          expect([...idx].sort((a, c) => a - c)).toEqual(idx);
          const dc = members.map((m) => m.dc).sort()[0]!;
          if (prev) expect(prev[0] < dc || (prev[0] === dc && prev[1] < b.unit)).toBe(true);
          prev = [dc, b.unit];
          if (unit === 'node') expect(b.nodes).toHaveLength(1);
        }
        expect(step.batches.map((b) => b.id)).toEqual(step.batches.map((_, i) => `s0/b${i}`));
        // Deterministic.
        expect(JSON.stringify(plan(parseWorkflow(text, { registry }), structuredClone(inv), { exclude }, {}, { registry }))).toBe(JSON.stringify(p));
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  test('planBatches does not depend on the order of equal-key groups in the input', () => {
    fc.assert(
      fc.property(arbInventory, fc.constantFrom(...units), (inv, unit) => {
        const batches = planBatches('s', inv.nodes, unit);
        const reversed = planBatches('s', [...inv.nodes].reverse(), unit);
        expect(reversed.map((b) => b.unit)).toEqual(batches.map((b) => b.unit));
        expect(reversed.map((b) => [...b.nodes].reverse())).toEqual(batches.map((b) => b.nodes));
      }),
      { seed: SEED + 1, numRuns: 150 },
    );
  });
});
