import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { connectionSettings, InventoryError, loadInventory, parseInventory, WorkflowError } from '@scylla-cp/core';

const GOOD = `name: prod-eu
connection:
  scylla_api: {port: 10000}
  ssh: {user: scylla}
nodes:
  - id: n1
    address: 10.0.0.1
    dc: eu-west
    rack: rack1
    zone: eu-west-1a
    labels: {role: seed, tier: 1}
    connection:
      ssh: {port: 2222}
  - id: n2
    address: 10.0.0.2
    dc: eu-west
    rack: rack2
`;

function problems(text: string): string[] {
  try {
    parseInventory(text, { fileName: 'inv.yaml' });
  } catch (e) {
    expect(e).toBeInstanceOf(InventoryError);
    expect(e).toBeInstanceOf(WorkflowError);
    expect((e as InventoryError).code).toBe('INVALID_INVENTORY');
    expect((e as Error).message).toMatch(/^invalid inventory: \d+ problems?\n/);
    return (e as InventoryError).problems.map((p) => `${p.location ? `${p.location.line}:${p.location.column}` : '-'} ${p.message}`);
  }
  throw new Error('expected an InventoryError');
}

describe('parseInventory', () => {
  test('reads nodes, defaults zone to rack, keeps labels as strings and connection settings', () => {
    const inv = parseInventory(GOOD);
    expect(inv).toEqual({
      name: 'prod-eu',
      connection: { scylla_api: { port: 10000 }, ssh: { user: 'scylla' } },
      nodes: [
        { id: 'n1', address: '10.0.0.1', dc: 'eu-west', rack: 'rack1', zone: 'eu-west-1a', labels: { role: 'seed', tier: '1' }, connection: { ssh: { port: 2222 } } },
        { id: 'n2', address: '10.0.0.2', dc: 'eu-west', rack: 'rack2', zone: 'rack2', labels: {}, connection: {} },
      ],
    });
    expect(connectionSettings(inv, inv.nodes[0], 'ssh')).toEqual({ user: 'scylla', port: 2222 });
  });

  test('unknown keys, missing and ill-typed fields are located', () => {
    expect(
      problems(`name: c
nodes:
  - id: n1
    adress: 10.0.0.1
    dc: d
    rack: r
  - id: 7
    address: 10.0.0.2
    dc: d
    rack: [r]
`),
    ).toEqual([
      '3:5 missing required key "address" in nodes[0]',
      '4:5 unknown key "adress" in nodes[0]',
      '7:9 nodes[1].id: expected a string, got number 7',
      '10:11 nodes[1].rack: expected a string, got a list',
    ]);
  });

  test('did-you-mean on unknown keys', () => {
    try {
      parseInventory('name: c\nnode:\n  - {id: a, address: b, dc: c, rack: d}\n');
    } catch (e) {
      const p = (e as InventoryError).problems;
      expect(p.map((x) => x.hint)).toContain('did you mean "nodes"?');
      return;
    }
    throw new Error('expected an error');
  });

  test('duplicate ids and addresses are errors', () => {
    expect(
      problems(`name: c
nodes:
  - {id: a, address: 10.0.0.1, dc: d, rack: r}
  - {id: b, address: 10.0.0.1, dc: d, rack: r}
  - {id: a, address: 10.0.0.3, dc: d, rack: r}
`),
    ).toEqual(['4:22 duplicate node address "10.0.0.1" (also nodes[0])', '5:10 duplicate node id "a" (also nodes[0])']);
  });

  test('empty node list, empty strings, YAML errors, tags and a non-mapping are refused', () => {
    expect(problems('name: c\nnodes: []\n')).toEqual(['2:8 nodes: an inventory needs at least one node']);
    expect(problems('name: ""\nnodes: [{id: a, address: b, dc: c, rack: d}]\n')).toEqual(['1:7 name: must not be empty']);
    expect(problems('name: c\nnodes: [\n')[0]).toMatch(/^\d+:\d+ invalid YAML: /);
    expect(problems('name: !x c\nnodes: [{id: a, address: b, dc: c, rack: d}]\n')).toEqual([
      '1:7 YAML tag !x is not allowed in an inventory',
      '1:7 name: expected a string, got a tagged value !x',
    ]);
    expect(problems('- a\n')).toEqual(['1:1 (top level): expected a mapping, got a list']);
  });

  test('loadInventory reads a file and names it in locations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scp-inv-'));
    const path = join(dir, 'inv.yaml');
    writeFileSync(path, GOOD);
    expect(loadInventory(path).nodes).toHaveLength(2);
    writeFileSync(path, 'name: c\nnodes: []\n');
    expect(() => loadInventory(path)).toThrow(`${path}:2:8: nodes: an inventory needs at least one node`);
    expect(() => loadInventory(join(dir, 'missing.yaml'))).toThrow(InventoryError);
    expect(() => loadInventory(join(dir, 'missing.yaml'))).toThrow(/cannot read inventory file/);
  });
});
