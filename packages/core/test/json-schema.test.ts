import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml, type ScalarTag, type CollectionTag } from 'yaml';
import { workflowCustomTags, workflowJsonSchema, type JsonSchema } from '@scylla-cp/core';
import { standInRegistry } from './workflow-fixtures.js';

const registry = standInRegistry();
const CANONICAL = readFileSync(new URL('../../../examples/workflows/drain-restart.yaml', import.meta.url), 'utf8');

/**
 * A minimal JSON Schema (draft-07) validator for exactly the subset the
 * generator emits; an unexpected keyword fails the test rather than being
 * ignored. Returns the JSON pointers of failures.
 */
function validate(root: JsonSchema, value: unknown): string[] {
  const errors: string[] = [];
  const ANNOTATIONS = new Set(['title', 'description', 'default', '$schema', 'definitions', 'examples']);
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  const check = (s: unknown, v: unknown, at: string): boolean => {
    if (s === true || (typeof s === 'object' && s !== null && Object.keys(s).length === 0)) return true;
    if (s === false) return false;
    const sch = s as JsonSchema;
    let ok = true;
    const fail = (why: string) => {
      ok = false;
      errors.push(`${at || '/'}: ${why}`);
    };
    for (const [k, kv] of Object.entries(sch)) {
      if (ANNOTATIONS.has(k)) continue;
      switch (k) {
        case '$ref': {
          const name = (kv as string).replace('#/definitions/', '');
          const target = (root.definitions as JsonSchema)[name];
          if (!target) throw new Error(`dangling $ref ${kv as string}`);
          if (!check(target, v, at)) ok = false;
          break;
        }
        case 'type': {
          const types = Array.isArray(kv) ? kv : [kv];
          const t = typeOf(v);
          const match = types.some((x) => x === t || (x === 'integer' && t === 'number' && Number.isInteger(v)));
          if (!match) fail(`expected ${types.join('|')}`);
          break;
        }
        case 'properties':
          if (typeOf(v) === 'object') for (const [pk, ps] of Object.entries(kv as JsonSchema)) if (pk in (v as object)) ok = check(ps, (v as JsonSchema)[pk], `${at}/${pk}`) && ok;
          break;
        case 'required':
          if (typeOf(v) === 'object') for (const r of kv as string[]) if (!(r in (v as object))) fail(`missing ${r}`);
          break;
        case 'additionalProperties':
          if (typeOf(v) === 'object') {
            const known = Object.keys((sch.properties as JsonSchema | undefined) ?? {});
            for (const [pk, pv] of Object.entries(v as JsonSchema)) if (!known.includes(pk) && !check(kv, pv, `${at}/${pk}`)) fail(`unexpected ${pk}`);
          }
          break;
        case 'propertyNames':
          if (typeOf(v) === 'object') for (const pk of Object.keys(v as object)) ok = check(kv, pk, `${at}/${pk}`) && ok;
          break;
        case 'items':
          if (Array.isArray(v)) v.forEach((x, i) => (ok = check(kv, x, `${at}/${i}`) && ok));
          break;
        case 'minItems':
          if (Array.isArray(v) && v.length < (kv as number)) fail(`fewer than ${kv as number} items`);
          break;
        case 'maxItems':
          if (Array.isArray(v) && v.length > (kv as number)) fail(`more than ${kv as number} items`);
          break;
        case 'anyOf': {
          const before = errors.length;
          const any = (kv as unknown[]).some((alt) => check(alt, v, at));
          errors.length = before;
          if (!any) fail('matches no alternative');
          break;
        }
        case 'not': {
          const before = errors.length;
          const m = check(kv, v, at);
          errors.length = before;
          if (m) fail('matches a forbidden schema');
          break;
        }
        case 'enum':
          if (!(kv as unknown[]).includes(v)) fail('not in enum');
          break;
        case 'const':
          if (v !== kv) fail('not the constant');
          break;
        case 'minimum':
          if (typeof v === 'number' && v < (kv as number)) fail(`< ${kv as number}`);
          break;
        case 'maximum':
          if (typeof v === 'number' && v > (kv as number)) fail(`> ${kv as number}`);
          break;
        case 'exclusiveMinimum':
          if (typeof v === 'number' && v <= (kv as number)) fail(`<= ${kv as number}`);
          break;
        case 'minLength':
          if (typeof v === 'string' && [...v].length < (kv as number)) fail('too short');
          break;
        case 'pattern':
          if (typeof v === 'string' && !new RegExp(kv as string, 'u').test(v)) fail('pattern');
          break;
        default:
          throw new Error(`the test validator does not know keyword "${k}" at ${at}`);
      }
    }
    return ok;
  };
  check(root, value, '');
  return errors;
}

/** Reads workflow YAML as yaml-language-server does with `yaml.customTags`: tags are dropped, their content kept. */
function asEditorSees(text: string): unknown {
  const customTags: (ScalarTag | CollectionTag)[] = [];
  for (const t of registry.tags()) {
    customTags.push({ tag: `!${t.tag}`, collection: 'map', resolve: (m) => m } as CollectionTag);
    customTags.push({ tag: `!${t.tag}`, resolve: (s: string) => (s === '' ? null : s) } as ScalarTag);
  }
  return parseYaml(text, { customTags });
}

describe('workflowJsonSchema', () => {
  const schema = workflowJsonSchema(registry);

  test('has one definition per registered tag, composed into the language', () => {
    const defs = Object.keys(schema.definitions as object);
    for (const t of registry.tags()) {
      const prefix = t.kind === 'condition' ? 'condition' : t.kind;
      expect(defs).toContain(`${prefix}.${t.tag}`);
    }
    expect(schema.required).toEqual(['name', 'cluster_tasks']);
    expect(schema.additionalProperties).toBe(false);
  });

  test('the canonical workflow validates', () => {
    expect(validate(schema, asEditorSees(CANONICAL))).toEqual([]);
  });

  test('typos, wrong types and bad values are caught as an editor would show them', () => {
    const base = (task: string) => `name: w\ncluster_tasks:\n  - task: !node-workflow\n      name: n\n      node_tasks:\n        - task: ${task}\n`;
    expect(validate(schema, asEditorSees(base('!systemd-start-service {service: scylla-server}')))).toEqual([]);
    expect(validate(schema, asEditorSees(base('!systemd-start-service {service: 3}')))).not.toEqual([]);
    expect(validate(schema, asEditorSees(base('!systemd-start-service {servise: x}')))).not.toEqual([]);
    expect(validate(schema, asEditorSees(base('!scylla-drain\n          retries: -1')))).not.toEqual([]);
    expect(validate(schema, asEditorSees(`${base('!scylla-drain')}colour: red\n`))).not.toEqual([]);
    expect(validate(schema, asEditorSees(base('!wait-for-conditions {conditions: [{condition: !compactions-nominal {max_pending: -1}}]}')))).not.toEqual([]);
    // A +variable+ is accepted wherever a typed value goes.
    expect(validate(schema, asEditorSees(base('!wait-for-conditions {conditions: [{condition: !compactions-nominal {max_pending: +p+}, timeout_seconds: +t+}]}\n          retries: +r+')))).toEqual([]);
    expect(
      validate(schema, asEditorSees('name: w\ncluster_tasks:\n  - task: !node-workflow {name: n, concurrency_unit: zones, node_tasks: [{task: !scylla-drain}]}\n')),
    ).not.toEqual([]);
  });

  test('cluster-level waits accept cluster conditions only', () => {
    const text = (c: string) => `name: w\ncluster_tasks:\n  - task: !wait-for-conditions {conditions: [{condition: ${c}}]}\n`;
    expect(validate(schema, asEditorSees(text('!cluster-normal')))).toEqual([]);
    // compactions-nominal takes optional integers, so {max_pending: 1} is a node condition only.
    expect(validate(schema, asEditorSees(text('!compactions-nominal {max_pending: 1}')))).not.toEqual([]);
  });

  test('workflowCustomTags lists every tag for yaml.customTags', () => {
    const tags = workflowCustomTags(registry);
    expect(tags).toContain('!scylla-drain scalar');
    expect(tags).toContain('!node-workflow mapping');
    expect(tags.length).toBe(new Set(registry.tags().map((t) => t.tag)).size * 2);
  });
});
