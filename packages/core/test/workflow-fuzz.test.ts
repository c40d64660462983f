import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { InvalidInputError, InventoryError, parseInventory, parseWorkflow, plan, WorkflowError } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const SEED = process.env.SEED ? Number(process.env.SEED) : Date.now() % 2 ** 31;
console.log(`workflow fuzz: SEED=${SEED}`);

const registry = standInRegistry();
const CANONICAL = readFileSync(new URL('../../../examples/workflows/drain-restart.yaml', import.meta.url), 'utf8');
const RICHER = `name: richer
variables:
  - {name: ks, type: string, default: app}
  - {name: lim, type: integer, default: 2}
  - {name: tables, type: string_list, default: [a, b]}
node_workflow_defaults: {concurrency_unit: rack, concurrency_limit: 1, abort_on_first_failure: true}
cluster_tasks:
  - task: !scylla-repair {keyspace: +ks+, parallel: +lim+}
    retries: 2
    retry_backoff: {initial_seconds: 1, multiplier: 2, max_seconds: 8}
    timeout_seconds: 60
  - task: !node-workflow
      name: flush "+ks+"
      concurrency_limit: +lim+
      node_tasks:
        - task: !scylla-flush {keyspace: +ks+, tables: +tables+}
        - task: !sleep {seconds: 1}
        - task: !wait-for-conditions
            conditions:
              - condition: !node-up
              - condition: &c !cluster-normal
                timeout_seconds: 30
  - task: !wait-for-conditions {conditions: [{condition: !cluster-normal}]}
`;
const INVENTORY = parseInventory('name: c\nnodes:\n  - {id: a, address: 1.1.1.1, dc: d1, rack: r1}\n  - {id: b, address: 1.1.1.2, dc: d2, rack: r1, zone: z}\n');

const PIECES = [':', ': ', '-', '- ', '!', '!x', '&a ', '*a', '*c', '[', ']', '{', '}', "'", '"', '#', '\n', '  ', '\t', '+', '+ks+', '+nope+', '|', '>', '%', '@', '`', ',', '?', '<<: *c', '\u0000', '\uFEFF', 'é', '0x1F', '-1', '1e309', 'null', '~', '__proto__', 'task', '!node-workflow', '!sleep', 'retries', 'node_tasks', '---', '...'];

type Mutation = { kind: 'insert' | 'delete' | 'replace' | 'dupLine' | 'swapLines' | 'dropLine'; pos: number; len: number; piece: number; other: number };

function mutate(text: string, ms: Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const pos = t.length === 0 ? 0 : m.pos % (t.length + 1);
    const piece = PIECES[m.piece % PIECES.length]!;
    const lines = t.split('\n');
    const li = lines.length === 0 ? 0 : m.pos % lines.length;
    const lj = lines.length === 0 ? 0 : m.other % lines.length;
    switch (m.kind) {
      case 'insert':
        t = t.slice(0, pos) + piece + t.slice(pos);
        break;
      case 'delete':
        t = t.slice(0, pos) + t.slice(pos + m.len);
        break;
      case 'replace':
        t = t.slice(0, pos) + piece + t.slice(pos + m.len);
        break;
      case 'dupLine':
        lines.splice(li, 0, lines[li] ?? '');
        t = lines.join('\n');
        break;
      case 'swapLines':
        [lines[li], lines[lj]] = [lines[lj]!, lines[li]!];
        t = lines.join('\n');
        break;
      case 'dropLine':
        lines.splice(li, 1);
        t = lines.join('\n');
        break;
    }
  }
  return t;
}

const arbMutation = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace', 'dupLine', 'swapLines', 'dropLine') as fc.Arbitrary<Mutation['kind']>,
  pos: fc.nat(),
  len: fc.integer({ min: 1, max: 12 }),
  piece: fc.nat(),
  other: fc.nat(),
});

test('mutated workflow YAML yields a Workflow or a WorkflowError, and a parsed one plans or fails with InvalidInputError', () => {
  let parsed = 0;
  let rejected = 0;
  fc.assert(
    fc.property(fc.constantFrom(CANONICAL, RICHER), fc.array(arbMutation, { minLength: 1, maxLength: 6 }), (base, ms) => {
      const text = mutate(base, ms);
      let wf;
      try {
        wf = parseWorkflow(text, { registry, fileName: 'fuzz.yaml' });
      } catch (e) {
        if (!(e instanceof WorkflowError)) throw new Error(`non-WorkflowError for input ${JSON.stringify(text)}: ${String((e as Error)?.stack ?? e)}`);
        expect(e.problems.length).toBeGreaterThan(0);
        for (const p of e.problems) {
          expect(typeof p.message).toBe('string');
          if (p.location) expect(p.location.line).toBeGreaterThanOrEqual(1);
        }
        rejected++;
        return;
      }
      parsed++;
      try {
        const p = plan(wf, INVENTORY, {}, {}, { registry });
        expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      } catch (e) {
        if (!(e instanceof InvalidInputError)) throw new Error(`plan threw a non-InvalidInputError for ${JSON.stringify(text)}: ${String((e as Error)?.stack ?? e)}`);
      }
    }),
    { seed: SEED, numRuns: 500 },
  );
  // The fuzzer must exercise both outcomes, or it is not testing much.
  expect(parsed).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
  console.log(`workflow fuzz: ${parsed} parsed, ${rejected} rejected`);
});

test('the unmutated inputs parse', () => {
  expect(parseWorkflow(RICHER, { registry }).clusterTasks).toHaveLength(3);
  expect(parseWorkflow(CANONICAL, { registry }).clusterTasks).toHaveLength(1);
});

const INVENTORY_TEXT = `name: prod
connection:
  ssh: {user: scylla, port: 22}
nodes:
  - id: a
    address: 10.0.0.1
    dc: d1
    rack: r1
    zone: z1
    labels: {role: seed}
    connection: {ssh: {port: 2222}}
  - {id: b, address: 10.0.0.2, dc: d1, rack: r2}
`;

test('mutated inventory YAML yields an inventory or an InventoryError', () => {
  let ok = 0;
  let rejected = 0;
  fc.assert(
    fc.property(fc.array(arbMutation, { minLength: 1, maxLength: 5 }), (ms) => {
      const text = mutate(INVENTORY_TEXT, ms);
      try {
        const inv = parseInventory(text, { fileName: 'inv.yaml' });
        expect(inv.nodes.length).toBeGreaterThan(0);
        expect(new Set(inv.nodes.map((n) => n.id)).size).toBe(inv.nodes.length);
        ok++;
      } catch (e) {
        if (!(e instanceof InventoryError)) throw new Error(`non-InventoryError for input ${JSON.stringify(text)}: ${String((e as Error)?.stack ?? e)}`);
        rejected++;
      }
    }),
    { seed: SEED + 7, numRuns: 300 },
  );
  expect(ok).toBeGreaterThan(0);
  expect(rejected).toBeGreaterThan(0);
});
