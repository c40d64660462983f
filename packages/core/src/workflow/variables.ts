import type { VariableValue } from '../api/context.js';
import { InvalidInputError } from '../errors/input-errors.js';
import { closestMatch } from './did-you-mean.js';
import type { VariableDeclaration, VariableType, Workflow } from './workflow.js';
import { isTaggedValue, setOwn } from './yaml-tree.js';

/** Syntax of a variable name: a letter or `_`, then letters, digits, `_`. */
export const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE_REF = /^\+([A-Za-z_][A-Za-z0-9_]*)\+$/;
const ANY_REF = /\+([A-Za-z_][A-Za-z0-9_]*)\+/g;

/** The variable types, in documentation order. */
export const VARIABLE_TYPES: readonly VariableType[] = ['integer', 'number', 'string', 'boolean', 'string_list'];

/** If `s` is exactly `+name+`, the name. */
export function wholeVariableRef(s: string): string | undefined {
  return WHOLE_REF.exec(s)?.[1];
}

/** Every `+name+` referenced inside `s` (in order, with repeats). */
export function variableRefs(s: string): string[] {
  return [...s.matchAll(ANY_REF)].map((m) => m[1]!);
}

/** Whether `value` has the JS shape of the declared type. */
export function isVariableValueOfType(type: VariableType, value: unknown): value is VariableValue {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string_list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}

const TYPE_HINTS: Record<VariableType, string> = {
  integer: 'a whole number such as 90',
  number: 'a number such as 1.5',
  string: 'any text',
  boolean: '"true" or "false"',
  string_list: 'comma-separated text such as "a,b,c"',
};

/**
 * Converts a value given at invocation to the declared type. Strings (from
 * the CLI) are coerced: `integer` (`"90"`), `number` (`"1.5"`), `boolean`
 * (`"true"`/`"false"`, any case), `string_list` (comma-separated, items
 * trimmed, empty items dropped). Returns `undefined` when it does not fit.
 */
export function coerceVariableValue(type: VariableType, raw: string | VariableValue): VariableValue | undefined {
  if (typeof raw !== 'string' || type === 'string') return isVariableValueOfType(type, raw) ? raw : undefined;
  const s = raw.trim();
  switch (type) {
    case 'integer': {
      if (!/^[+-]?\d+$/.test(s)) return undefined;
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'number': {
      if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return undefined;
      const n = Number(s);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      if (/^true$/i.test(s)) return true;
      if (/^false$/i.test(s)) return false;
      return undefined;
    case 'string_list':
      return s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);
  }
}

/**
 * Validates the values given for a workflow's variables and returns every
 * declared variable's typed value (given, else its default).
 *
 * @param given values by name; strings (as the CLI passes them) are coerced
 *   by the declared type (see {@link coerceVariableValue}).
 * @throws InvalidInputError listing every problem; its `code` is that of the
 *   first: `UNKNOWN_VARIABLE` (not declared by the workflow), `MISSING_VARIABLE`
 *   (declared without a default and not given), `INVALID_VARIABLE` (does not fit
 *   the declared type).
 */
export function resolveVariables(
  workflow: Pick<Workflow, 'name' | 'variables'>,
  given: Readonly<Record<string, string | VariableValue>> = {},
): Record<string, VariableValue> {
  const byName = new Map(workflow.variables.map((v) => [v.name, v]));
  const problems: { code: string; message: string }[] = [];
  const declared = workflow.variables.map((v) => v.name);
  for (const name of Object.keys(given)) {
    if (!byName.has(name)) {
      const near = closestMatch(name, declared);
      problems.push({
        code: 'UNKNOWN_VARIABLE',
        message: `variable "${name}" is not declared by workflow "${workflow.name}"; ${
          near ? `did you mean "${near}"?` : declared.length > 0 ? `declared: ${declared.join(', ')}` : 'it declares no variables'
        }`,
      });
    }
  }
  const out: Record<string, VariableValue> = {};
  for (const decl of workflow.variables) {
    const has = Object.prototype.hasOwnProperty.call(given, decl.name);
    if (!has) {
      if (decl.default === undefined) {
        problems.push({
          code: 'MISSING_VARIABLE',
          message: `variable "${decl.name}" (${decl.type}${decl.description ? `: ${decl.description}` : ''}) is required; pass it, e.g. --var ${decl.name}=<${TYPE_HINTS[decl.type]}>`,
        });
      } else setOwn(out, decl.name, decl.default);
      continue;
    }
    const raw = given[decl.name]!;
    const value = coerceVariableValue(decl.type, raw);
    if (value === undefined) {
      problems.push({
        code: 'INVALID_VARIABLE',
        message: `variable "${decl.name}" must be ${TYPE_HINTS[decl.type]} (type ${decl.type}), got ${JSON.stringify(raw)}`,
      });
    } else setOwn(out, decl.name, value);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(problems.map((p) => p.message).join('; '), {
      code: problems[0]!.code,
      details: { problems },
    });
  }
  return out;
}

/** Formats a typed value for interpolation into a longer string (lists: comma-joined). */
export function interpolationText(value: VariableValue): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Replaces `+name+` references in a plain tree with the given values: a
 * scalar that is exactly `+name+` becomes the typed value; references inside
 * longer strings are interpolated. Tagged values become their JSON form
 * `{ $tag, value }` (the source location dropped). Unknown names throw
 * `InvalidInputError` (`UNKNOWN_VARIABLE`); parsing already rejects them.
 */
export function substituteVariables(value: unknown, vars: Readonly<Record<string, VariableValue>>): unknown {
  const lookup = (name: string): VariableValue => {
    if (!Object.prototype.hasOwnProperty.call(vars, name)) {
      throw new InvalidInputError(`variable +${name}+ has no value`, { code: 'UNKNOWN_VARIABLE', details: { variable: name } });
    }
    return vars[name]!;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = wholeVariableRef(v);
      if (whole !== undefined) {
        const val = lookup(whole);
        return Array.isArray(val) ? [...val] : val;
      }
      return v.replace(ANY_REF, (_m, name: string) => interpolationText(lookup(name)));
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isTaggedValue(v)) return { $tag: v.$tag, value: walk(v.value) };
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) setOwn(out, k, walk(child));
      return out;
    }
    return v;
  };
  return walk(value);
}

/** A type-appropriate stand-in for a variable without a default, used to type-check its uses at parse time. */
export function sampleValue(type: VariableType): VariableValue {
  switch (type) {
    case 'integer':
      return 1;
    case 'number':
      return 1.5;
    case 'string':
      return 'sample';
    case 'boolean':
      return true;
    case 'string_list':
      return ['sample'];
  }
}

/** Declarations by name. */
export function declarationsByName(decls: readonly VariableDeclaration[]): Map<string, VariableDeclaration> {
  return new Map(decls.map((d) => [d.name, d]));
}
