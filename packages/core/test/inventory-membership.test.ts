import { describe, expect, test } from 'vitest';
import { formatPlan, InventoryError, nodeMembership, parseInventory, parseWorkflow, plan, type NodeWorkflowStep } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const registry = standInRegistry();

const INVENTORY = `name: c1
nodes:
  - {id: a1, address: 10.0.0.1, dc: dc1, rack: ra}
  - {id: a2, address: 10.0.0.2, dc: dc1, rack: ra}
  - {id: b1, address: 10.0.0.3, dc: dc1, rack: rb}
  - {id: a3, address: 10.0.0.4, dc: dc1, rack: ra, new: true}
  - {id: b2, address: 10.0.0.5, dc: dc1, rack: rb, new: true}
  - {id: a4, address: 10.0.0.6, dc: dc1, rack: ra, replaces: a2}
`;

function problemsOf(text: string): string[] {
  try {
    parseInventory(text, { fileName: 'inv.yaml' });
  } catch (e) {
    expect(e).toBeInstanceOf(InventoryError);
    return (e as Error).message.split('\n').slice(1).map((l) => l.trim());
  }
  throw new Error('expected an InventoryError');
}

describe('inventory: new nodes and replacements', () => {
  test('new and replaces are kept; a replacement is new; membership is derived', () => {
    const inv = parseInventory(INVENTORY);
    const byId = Object.fromEntries(inv.nodes.map((n) => [n.id, n]));
    expect(byId['a1']!.new).toBeUndefined();
    expect(byId['a3']!.new).toBe(true);
    expect(byId['a4']).toMatchObject({ new: true, replaces: 'a2' });
    expect(inv.nodes.map((n) => nodeMembership(inv, n))).toEqual(['member', 'replaced', 'member', 'new', 'new', 'replacement']);
  });

  test('a replacement must name a member of the inventory in its own dc and rack, once, and not itself', () => {
    const base = `name: c1\nnodes:\n  - {id: a1, address: 10.0.0.1, dc: dc1, rack: ra}\n  - {id: b1, address: 10.0.0.2, dc: dc1, rack: rb}\n  - {id: n1, address: 10.0.0.3, dc: dc1, rack: ra, new: true}\n`;
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, replaces: zz}\n`).join('\n')).toMatch(
      /inv\.yaml:6:\d+.*replaces "zz", which is not a node of this inventory/,
    );
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, replaces: x}\n`).join('\n')).toMatch(/replaces itself/);
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, replaces: n1}\n`).join('\n')).toMatch(/which is itself a new node/);
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, replaces: b1}\n`).join('\n')).toMatch(/inv\.yaml:6:\d+.*\(dc dc1, rack ra\) replaces "b1" of dc dc1, rack rb/);
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, replaces: a1}\n  - {id: y, address: 10.0.0.8, dc: dc1, rack: ra, replaces: a1}\n`).join('\n')).toMatch(
      /"a1" is replaced twice/,
    );
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, replaces: a1, new: false}\n`).join('\n')).toMatch(/has replaces but new: false/);
    expect(problemsOf(`${base}  - {id: x, address: 10.0.0.9, dc: dc1, rack: ra, new: maybe}\n`).join('\n')).toMatch(/inv\.yaml:6:\d+/);
  });

  test('node workflows run on members by default, on new nodes with membership: new; plan shows them', () => {
    const wf = parseWorkflow(
      `name: grow
cluster_tasks:
  - task: !node-workflow
      name: join
      membership: new
      concurrency_unit: zone
      node_tasks:
        - task: !scylla-drain {}
  - task: !node-workflow
      name: old ones
      node_tasks:
        - task: !scylla-drain {}
  - task: !node-workflow
      name: everyone
      membership: all
      concurrency_unit: node
      node_tasks:
        - task: !scylla-drain {}
`,
      { registry, fileName: 'grow.yaml' },
    );
    const inv = parseInventory(INVENTORY);
    const p = plan(wf, inv, {}, {}, { registry });
    const [join, old, all] = p.steps as NodeWorkflowStep[];
    expect(join!.batches.map((b) => [b.unit, b.nodes])).toEqual([
      ['ra', ['a3', 'a4']],
      ['rb', ['b2']],
    ]);
    expect(join!.membership).toBe('new');
    expect(old!.batches.flatMap((b) => b.nodes)).toEqual(['a1', 'b1']);
    expect(old!.membership).toBeUndefined();
    expect(all!.batches.flatMap((b) => b.nodes).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
    const text = formatPlan(p);
    expect(text).toContain('New nodes: a3 (joins dc1/ra), b2 (joins dc1/rb), a4 (replaces a2)');
    expect(text).toMatch(/\[s0\] node workflow "join": 3 new nodes/);
    expect(text).toMatch(/\[s2\] node workflow "everyone": 6 nodes \(members and new\)/);
    // targeting still applies first
    expect(() => plan(wf, inv, { nodes: ['a1'] }, {}, { registry })).toThrow(/node workflow "join" \(membership: new\) selects no node: the targeted nodes are a1 \(member\)/);
  });
});
