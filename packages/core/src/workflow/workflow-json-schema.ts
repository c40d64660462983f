import { z } from 'zod';
import type { PluginRegistry, RegisteredTag } from '../plugin/plugin-registry.js';
import { VARIABLE_TYPES } from './variables.js';
import { MAX_DURATION_SECONDS, nodeWorkflowDefaultsSchema, retryBackoffSchema, TAGGED_VALUE_MARK, TASK_ENTRY_MARK } from './workflow-schemas.js';

/** A JSON Schema document (draft-07), as plain JSON. */
export type JsonSchema = Record<string, unknown>;


const REF = (name: string) => ({ $ref: `#/definitions/${name}` });

function toJson(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

function isObj(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Rewrites a generated schema: nested tags and task entries become `$ref`s
 * into the language, and every typed leaf also accepts a `+variable+`.
 */
function rewrite(s: unknown, conditionRef: string): unknown {
  if (Array.isArray(s)) return s.map((x) => rewrite(x, conditionRef));
  if (!isObj(s)) return s;
  if (s[TASK_ENTRY_MARK]) return REF('nodeTaskEntry');
  if (s[TAGGED_VALUE_MARK]) return REF(conditionRef);
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && isObj(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, rewrite(pv, conditionRef)]));
    } else if (k === 'additionalProperties' || k === 'items' || k === 'anyOf' || k === 'oneOf' || k === 'allOf' || k === 'not' || k === 'propertyNames') {
      out[k] = rewrite(v, conditionRef);
    } else out[k] = v;
  }
  return allowVariable(out);
}

/** Wraps a typed leaf so that a `+variable+` string is accepted too. */
function allowVariable(s: JsonSchema): JsonSchema {
  const t = s.type;
  const constrainedString = t === 'string' && ('enum' in s || 'const' in s || 'pattern' in s || 'format' in s || 'minLength' in s);
  const typedLeaf = t === 'integer' || t === 'number' || t === 'boolean' || t === 'array' || constrainedString || (t === undefined && ('enum' in s || 'const' in s));
  if (!typedLeaf) return s;
  return { anyOf: [s, REF('variableReference')] };
}

function tagSchema(t: RegisteredTag, conditionRef: string): JsonSchema {
  const schema = t.definition.params as z.ZodType;
  const json = rewrite(toJson(schema), conditionRef) as JsonSchema;
  const bare = schema.safeParse({}).success;
  return {
    title: `!${t.tag}`,
    description: `${t.definition.description} (plugin ${t.plugin})`,
    ...(bare ? { anyOf: [json, { type: 'null' }] } : json),
  };
}

function union(defs: JsonSchema, prefix: string, tags: RegisteredTag[], conditionRef: string, description: string): JsonSchema {
  const refs = tags
    .slice()
    .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
    .map((t) => {
      defs[`${prefix}.${t.tag}`] = tagSchema(t, conditionRef);
      return REF(`${prefix}.${t.tag}`);
    });
  return { description, anyOf: refs.length > 0 ? refs : [{ not: {} }] };
}

/**
 * The JSON Schema (draft-07) of the workflow language for the tags of
 * `registry`, for editors (yaml-language-server) to validate workflows as
 * they are typed. Each tag's parameters come from its zod schema through
 * zod 4's `z.toJSONSchema`; every typed value also accepts a `+variable+`.
 *
 * JSON has no tags, so an editor sees `task: !scylla-drain {...}` as just the
 * mapping: a task entry's `task` is valid when it matches *some* registered
 * task of the right kind. The parser (`parseWorkflow`) remains the authority.
 * Declare the tags to the editor with `yaml.customTags` (see
 * {@link workflowCustomTags}).
 */
export function workflowJsonSchema(registry: PluginRegistry): JsonSchema {
  const defs: JsonSchema = {};
  defs.variableReference = {
    type: 'string',
    pattern: '^\\+[A-Za-z_][A-Za-z0-9_]*\\+$',
    description: 'A +variable+ declared under "variables"; replaced by its typed value.',
  };
  defs.retryBackoff = toJson(retryBackoffSchema); // literal numbers only
  const conditions = registry.tags('condition');
  defs.nodeCondition = union(defs, 'condition', conditions, 'nodeCondition', 'A condition (checked for a node, or for the whole cluster).');
  defs.clusterCondition = {
    description: 'A cluster condition.',
    anyOf: conditions
      .filter((c) => (c.definition as { scope?: string }).scope === 'cluster')
      .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
      .map((c) => REF(`condition.${c.tag}`)),
  };
  if ((defs.clusterCondition as { anyOf: unknown[] }).anyOf.length === 0) (defs.clusterCondition as { anyOf: unknown[] }).anyOf = [{ not: {} }];
  defs.nodeTask = union(defs, 'nodeTask', registry.tags('nodeTask'), 'nodeCondition', 'A node task: one of the registered node task tags.');
  defs.clusterTask = union(defs, 'clusterTask', registry.tags('clusterTask'), 'clusterCondition', 'A cluster task: one of the registered cluster task tags.');
  const entry = (task: string): JsonSchema => ({
    type: 'object',
    additionalProperties: false,
    required: ['task'],
    properties: {
      task: REF(task),
      retries: { anyOf: [{ type: 'integer', minimum: 0, maximum: 1000, description: 'Retries after the first attempt. Default 0.' }, REF('variableReference')] },
      retry_backoff: { ...REF('retryBackoff'), description: 'Backoff between retries. Defaults: initial_seconds 5, multiplier 2, max_seconds 60.' },
      timeout_seconds: {
        anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_SECONDS, description: 'Abort one attempt after this many seconds (at most 30 days). Default: none.' }, REF('variableReference')],
      },
      abandon_grace_seconds: {
        anyOf: [
          {
            type: 'number',
            minimum: 0,
            maximum: MAX_DURATION_SECONDS,
            description: 'After a timeout or abort, seconds to wait for the attempt to settle before giving up on the node. Default 60.',
          },
          REF('variableReference'),
        ],
      },
    },
  });
  defs.nodeTaskEntry = entry('nodeTask');
  defs.clusterTaskEntry = entry('clusterTask');
  const variableDecl: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      type: { type: 'string', enum: [...VARIABLE_TYPES] },
      description: { type: 'string' },
      default: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }] },
    },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'scylla-cp workflow',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'cluster_tasks'],
    properties: {
      name: { type: 'string', minLength: 1 },
      description: { type: 'string' },
      variables: { type: 'array', items: variableDecl },
      node_workflow_defaults: toJson(nodeWorkflowDefaultsSchema),
      maintenance_window: {
        type: 'object',
        additionalProperties: false,
        required: ['schedule'],
        description: 'When nodes may start: schedule "Mon-Fri 09:00-17:00" (rules joined by ";"), timezone (IANA, default UTC).',
        properties: { schedule: { type: 'string', minLength: 1 }, timezone: { type: 'string', minLength: 1 } },
      },
      gates: {
        type: 'array',
        description: 'Conditions checked before every node task (e.g. !alerts-silent).',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['condition'],
          properties: {
            condition: REF('nodeCondition'),
            success_window_seconds: { anyOf: [{ type: 'number', minimum: 0, maximum: MAX_DURATION_SECONDS }, REF('variableReference')] },
            poll_interval_seconds: { anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_SECONDS }, REF('variableReference')] },
            timeout_seconds: { anyOf: [{ type: 'number', minimum: 0, maximum: MAX_DURATION_SECONDS }, REF('variableReference')] },
            stall_timeout_seconds: { anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_SECONDS }, REF('variableReference')] },
          },
        },
      },
      cluster_tasks: { type: 'array', minItems: 1, items: REF('clusterTaskEntry') },
      finally_tasks: { type: 'array', description: 'Cluster tasks run when the job ends in any way.', items: REF('clusterTaskEntry') },
    },
    definitions: defs,
  };
}

/**
 * The `yaml.customTags` setting for yaml-language-server: every registered
 * tag, declared as a mapping (`"!scylla-flush mapping"`) and as a scalar
 * (`"!scylla-drain scalar"`, for bare tags), sorted.
 */
export function workflowCustomTags(registry: PluginRegistry): string[] {
  const tags = [...new Set(registry.tags().map((t) => t.tag))].sort();
  return tags.flatMap((t) => [`!${t} mapping`, `!${t} scalar`]);
}
