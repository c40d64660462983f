import { InvalidArgumentError } from 'commander';
import { InvalidInputError, type Targeting } from '@scylla-cp/core';

/** Splits repeated, comma-separated option values: `['a,b', 'c']` → `['a','b','c']`. */
export function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Builds the targeting from `--nodes`, `--zone` and `--exclude`. */
export function targetingFromFlags(opts: { nodes?: string[]; zone?: string[]; exclude?: string[] }): Targeting {
  const nodes = splitList(opts.nodes);
  const zones = splitList(opts.zone);
  if (nodes.length > 0 && zones.length > 0) {
    throw new InvalidInputError('--nodes and --zone cannot be combined: pick nodes explicitly, or whole zones (use --exclude to leave nodes out)', {
      code: 'BAD_TARGETING',
    });
  }
  const t: Targeting = {};
  if (nodes.length > 0) t.nodes = nodes;
  if (zones.length > 0) t.zones = zones;
  const exclude = splitList(opts.exclude);
  if (exclude.length > 0) t.exclude = exclude;
  return t;
}

/** Parses repeated `--var name=value` into a map (values stay strings; the workflow's types coerce them). */
export function parseVars(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new InvalidInputError(`--var ${v}: expected name=value`, { code: 'BAD_VARIABLE_FLAG' });
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a whole number >= `min` for option `flag`; commander reports the flag on failure (exit 2). */
export function intArg(min: number) {
  return (v: string): number => {
    const n = wholeNumberAtLeast(v, min);
    if (n === undefined) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

/** `v` as a whole number (digits only, a safe integer) when it is >= `min`; otherwise undefined. */
export function wholeNumberAtLeast(v: string, min: number): number | undefined {
  const n = Number(v);
  return /^\d+$/.test(v.trim()) && Number.isSafeInteger(n) && n >= min ? n : undefined;
}

/** Parses a number > 0 (e.g. `--speed`). */
export function positiveArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}
