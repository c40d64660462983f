import { describe, expect, test } from 'vitest';
import { InvalidInputError, selectNodes, type ClusterInventory, type InventoryNode, type Targeting } from '@scylla-cp/core';

function node(id: string, dc: string, zone: string, rack = zone): InventoryNode {
  return { id, address: `10.0.0.${id.slice(1)}`, dc, rack, zone, labels: {}, connection: {} };
}
const inv: ClusterInventory = {
  name: 'c1',
  connection: {},
  nodes: [node('n1', 'dc1', 'za'), node('n2', 'dc1', 'zb'), node('n3', 'dc1', 'za'), node('n4', 'dc2', 'zc'), node('n5', 'dc2', 'zc')],
};
const ids = (t: Targeting) => selectNodes(inv, t).map((n) => n.id);

function err(t: Targeting): InvalidInputError {
  try {
    selectNodes(inv, t);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected InvalidInputError');
}

describe('selectNodes', () => {
  test('all nodes by default, in inventory order', () => {
    expect(ids({})).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  });

  test('explicit nodes by id or address, each once, in inventory order', () => {
    expect(ids({ nodes: ['n4', '10.0.0.1', 'n1'] })).toEqual(['n1', 'n4']);
  });

  test('zones, with exclusions by id or address', () => {
    expect(ids({ zones: ['zc', 'za'] })).toEqual(['n1', 'n3', 'n4', 'n5']);
    expect(ids({ zones: ['za'], exclude: ['10.0.0.3'] })).toEqual(['n1']);
    expect(ids({ exclude: ['n2', 'n5'] })).toEqual(['n1', 'n3', 'n4']);
  });

  test('unknown nodes are named, with did-you-mean and the valid ids', () => {
    const e = err({ nodes: ['n1', 'n9', 'x'] });
    expect(e.code).toBe('UNKNOWN_NODE');
    expect(e.message).toBe('targeting: unknown nodes "n9", "x" in inventory "c1" (did you mean "n1" for "n9"?); name nodes by id or address; valid ids: n1, n2, n3, n4, n5');
    expect(e.details).toEqual({ unknown: ['n9', 'x'], valid: ['n1', 'n2', 'n3', 'n4', 'n5'] });
  });

  test('an unknown exclusion is an error too (a typo must not run on the node meant to be left out)', () => {
    const e = err({ exclude: ['n22'] });
    expect(e.code).toBe('UNKNOWN_NODE');
    expect(e.message).toMatch(/^exclude: unknown node "n22"/);
  });

  test('unknown zones list the valid zones', () => {
    const e = err({ zones: ['zz', 'za'] });
    expect(e.code).toBe('UNKNOWN_ZONE');
    expect(e.message).toBe('targeting: unknown zone "zz" in inventory "c1" (did you mean "za" for "zz"?); valid zones: za, zb, zc');
  });

  test('empty selections are errors', () => {
    expect(err({ nodes: [] }).code).toBe('EMPTY_SELECTION');
    const e = err({ zones: ['zb'], exclude: ['n2'] });
    expect(e.code).toBe('EMPTY_SELECTION');
    expect(e.message).toBe('targeting selects no node (zones zb, excluding n2); name at least one node or zone that is not excluded');
  });

  test('nodes and zones together are refused', () => {
    expect(err({ nodes: ['n1'], zones: ['za'] }).code).toBe('INVALID_TARGETING');
  });
});
