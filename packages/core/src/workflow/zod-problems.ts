import type { z } from 'zod';
import type { WorkflowProblem } from '../errors/input-errors.js';
import { suggestionHint } from './did-you-mean.js';
import { displayPath, isTaggedValue, type TreePath, type YamlTree } from './yaml-tree.js';

type AnyDef = {
  type?: string;
  catchall?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
};

function defOf(s: unknown): AnyDef | undefined {
  return (s as { _zod?: { def?: AnyDef } } | undefined)?._zod?.def;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 16 && s; i++) {
    const d = defOf(s);
    if (!d) return s;
    if (d.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type ?? '')) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else return s;
  }
  return s;
}

/** The sub-schema at `path` (object keys and array indexes), best effort. */
export function schemaAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s = unwrap(schema);
  for (const seg of path) {
    const d = defOf(s);
    if (!d) return undefined;
    if (d.type === 'object' && d.shape && typeof seg === 'string') s = unwrap(d.shape[seg]);
    else if (d.type === 'array' && d.element) s = unwrap(d.element);
    else if (d.type === 'record') return undefined;
    else return undefined;
  }
  return s;
}

/** The keys an object schema accepts (unions of objects: all their keys). */
export function objectKeys(schema: z.ZodType | undefined): string[] {
  const s = unwrap(schema);
  const d = defOf(s);
  if (d?.type === 'object' && d.shape) return Object.keys(d.shape);
  if (d?.type === 'union' && d.options) return [...new Set(d.options.flatMap((o) => objectKeys(o)))];
  return [];
}

function describe(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (isTaggedValue(v)) return `a tagged value !${v.$tag}`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** A `+name+` placed where a value was validated, recorded by variable substitution. */
export interface SubstitutedVariable {
  name: string;
  type: string;
  /** True when a type-appropriate sample was used (the variable has no default). */
  sampled: boolean;
  value: unknown;
  /** Set when the reference itself is reported already (undeclared variable): its issues are not reported again. */
  ignore?: boolean;
  /** Set for a longer string with `+name+` inside: only type errors are reported now, other checks wait for the real value. */
  interpolated?: boolean;
}

/** Where and how to report zod issues. */
export interface ZodProblemContext {
  tree: YamlTree;
  /** Path of the validated value inside the tree. */
  base: TreePath;
  /** The schema that was used (for `did you mean` on unknown keys). */
  schema: z.ZodType;
  /** What was validated, e.g. `!systemd-start-service`; prefixes messages. */
  subject?: string;
  /** Variables substituted before validation, keyed by `JSON.stringify(path)`. */
  substituted?: ReadonlyMap<string, SubstitutedVariable>;
}

/** Turns zod issues into located workflow problems with hints. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], ctx: ZodProblemContext): WorkflowProblem[] {
  const out: WorkflowProblem[] = [];
  const { tree } = ctx;
  const lead = ctx.subject ? `${ctx.subject}: ` : '';
  const taggedReported = new Set<string>();
  for (const issue of issues) {
    const rel = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const full = [...ctx.base, ...rel];
    const shown = ctx.subject ? displayPath(rel) : tree.display(full);
    // A tagged value where a mapping was expected: zod looked inside our {$tag, value, location}.
    let taggedAt: number | undefined;
    for (let n = ctx.base.length; n <= full.length; n++) {
      if (n === full.length && issue.code !== 'unrecognized_keys') break;
      if (isTaggedValue(tree.get(full.slice(0, n)))) {
        taggedAt = n;
        break;
      }
    }
    if (taggedAt !== undefined) {
      const at = full.slice(0, taggedAt);
      const key = JSON.stringify(at);
      if (taggedReported.has(key)) continue;
      taggedReported.add(key);
      const tv = tree.get(at) as { $tag: string };
      const relAt = at.slice(ctx.base.length);
      out.push({
        message: `${lead}${ctx.subject ? (relAt.length > 0 ? `${displayPath(relAt)}: ` : '') : `${tree.display(at)}: `}expected a mapping, got a tagged value !${tv.$tag}`,
        hint:
          typeof at[at.length - 1] === 'number'
            ? at[at.length - 2] === 'conditions'
              ? `a condition entry is a mapping: write "- condition: !${tv.$tag}"`
              : `a task entry is a mapping: write "- task: !${tv.$tag}"`
            : 'remove the tag: a plain mapping goes here',
        location: tree.locate(at),
        path: tree.display(at),
      });
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeys(schemaAt(ctx.schema, rel));
      for (const key of issue.keys) {
        out.push({
          message: `${lead}unknown key "${key}"${rel.length > 0 || !ctx.subject ? ` in ${shown}` : ''}`,
          hint: allowed.length > 0 ? suggestionHint(key, allowed) : 'remove it',
          location: tree.locateKey([...full, key]),
          path: tree.display([...full, key]),
        });
      }
      continue;
    }
    const involves = issue.code === 'custom' ? (issue.params as { involves?: unknown } | undefined)?.involves : undefined;
    if (Array.isArray(involves)) {
      // A rule across sibling keys: it waits for plan() when one of them is a +variable+ without its real value yet.
      const parent = full.slice(0, -1);
      const pending = involves.some((k) => {
        const s = ctx.substituted?.get(JSON.stringify([...parent, String(k)]));
        return s !== undefined && (s.sampled || s.ignore === true || s.interpolated === true);
      });
      if (pending) continue;
      const at = tree.get(full) === undefined ? parent : full;
      out.push({
        message: `${lead}${shown}: ${issue.message}`,
        hint: 'change the timing so that the wait can pass: a window shorter than the timeout, polls more often than the timeout',
        location: tree.get(full) === undefined ? tree.locate(at) : tree.locateKey(full),
        path: shown,
      });
      continue;
    }
    const sub = ctx.substituted?.get(JSON.stringify(full));
    if (sub?.interpolated && issue.code !== 'invalid_type') continue;
    if (sub && !sub.interpolated) {
      if (sub.ignore) continue;
      if (sub.sampled && issue.code !== 'invalid_type') continue; // range checks wait for the real value (at plan time)
      const what = issue.code === 'invalid_type' ? `expected ${EXPECTED[issue.expected] ?? issue.expected}` : issue.message;
      out.push({
        message: sub.sampled
          ? `${lead}variable +${sub.name}+ (type ${sub.type}) cannot be used at ${shown}: ${what}`
          : `${lead}default ${JSON.stringify(sub.value)} of variable +${sub.name}+ is not valid at ${shown}: ${what}`,
        hint: sub.sampled ? 'declare the variable with a type that fits here, or write the value directly' : 'change the default, or write the value directly',
        location: tree.locate(full),
        path: shown,
      });
      continue;
    }
    const value = tree.get(full);
    if ((issue.code === 'invalid_type' || issue.code === 'custom') && value === undefined && rel.length > 0) {
      const key = String(full[full.length - 1]);
      const parent = full.slice(0, -1);
      out.push({
        message: `${lead}missing required key "${key}"${ctx.subject && rel.length === 1 ? '' : ` in ${ctx.subject ? displayPath(rel.slice(0, -1)) : tree.display(parent)}`}`,
        hint: `add "${key}:" with ${issue.code === 'invalid_type' ? (EXPECTED[issue.expected] ?? issue.expected) : 'a value'}`,
        location: tree.locate(parent),
        path: tree.display(full),
      });
      continue;
    }
    if (issue.code === 'custom' && !isTaggedValue(value) && (full[full.length - 1] === 'task' || full[full.length - 1] === 'condition')) {
      const seg = full[full.length - 1] as string;
      out.push({
        message: `${lead}${shown}: expected a ${seg} tag, got ${describe(value)}`,
        hint: `write "${seg}: !${seg === 'task' ? 'scylla-drain' : 'compactions-nominal'}" with a registered tag (tags start with "!")`,
        location: tree.locate(full),
        path: tree.display(full),
      });
      continue;
    }
    if (issue.code === 'invalid_type') {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      out.push({
        message: `${lead}${rel.length === 0 && ctx.subject ? '' : `${shown}: `}expected ${expected}, got ${describe(value)}`,
        hint:
          issue.expected === 'object' && isTaggedValue(value)
            ? `a task entry is a mapping: write "- task: !${value.$tag}"`
            : issue.expected === 'object' && value === null
              ? 'write the parameters as a mapping, e.g. {key: value}'
              : typeof value === 'string' && /^\+[A-Za-z_][A-Za-z0-9_]*\+$/.test(value)
                ? '+variables+ are replaced only inside cluster_tasks (not in retry_backoff); write the value here'
                : `write ${expected} here`,
        location: tree.locate(full),
        path: shown,
      });
      continue;
    }
    if (issue.code === 'invalid_value') {
      const allowed = issue.values.map((v) => String(v));
      out.push({
        message: `${lead}${shown}: ${describe(value)} is not allowed`,
        hint: suggestionHint(String(value), allowed),
        location: tree.locate(full),
        path: shown,
      });
      continue;
    }
    out.push({
      message: `${lead}${rel.length === 0 && ctx.subject ? '' : `${shown}: `}${issue.message}`,
      hint: issue.code === 'too_small' || issue.code === 'too_big' ? 'change the value to fit the allowed range' : 'fix the value',
      location: tree.locate(full),
      path: shown,
    });
  }
  return out;
}


/**
 * Unknown keys that a non-strict zod object (`z.object`, which strips them)
 * would silently drop: reported as errors too, so that a plugin that forgot
 * `.strict()` still never ignores a typo.
 */
export function strippedKeyProblems(value: unknown, ctx: ZodProblemContext): WorkflowProblem[] {
  const out: WorkflowProblem[] = [];
  const lead = ctx.subject ? `${ctx.subject}: ` : '';
  const walk = (schema: z.ZodType | undefined, v: unknown, rel: (string | number)[], depth: number) => {
    if (depth > 64 || v === null || typeof v !== 'object' || isTaggedValue(v)) return;
    const s = unwrap(schema);
    const d = defOf(s);
    if (!d) return;
    if (d.type === 'array' && d.element && Array.isArray(v)) {
      v.forEach((x, i) => walk(d.element, x, [...rel, i], depth + 1));
      return;
    }
    if (d.type === 'union' && d.options) {
      // Only descend when exactly one option is an object with all of the value's keys.
      const fits = d.options.filter((o) => {
        const keys = objectKeys(o);
        return keys.length > 0 && Object.keys(v).every((k) => keys.includes(k));
      });
      if (fits.length === 1) walk(fits[0], v, rel, depth + 1);
      return;
    }
    if (d.type !== 'object' || !d.shape || Array.isArray(v)) return;
    const shape = d.shape;
    const allowed = Object.keys(shape);
    for (const [k, child] of Object.entries(v)) {
      if (k in shape) walk(shape[k], child, [...rel, k], depth + 1);
      else if (d.catchall === undefined) {
        const full = [...ctx.base, ...rel, k];
        out.push({
          message: `${lead}unknown key "${k}"${rel.length > 0 || !ctx.subject ? ` in ${ctx.subject ? displayPath(rel) : ctx.tree.display([...ctx.base, ...rel])}` : ''}`,
          hint: allowed.length > 0 ? suggestionHint(k, allowed) : 'remove it',
          location: ctx.tree.locateKey(full),
          path: ctx.tree.display(full),
        });
      }
    }
  };
  walk(ctx.schema, value, [], 0);
  return out;
}
