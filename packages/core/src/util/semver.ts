function parse(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` satisfies `range`. Supports what plugin manifests need:
 * `*`, exact `x.y.z`, `^x.y.z`, `~x.y.z`, `>=x.y.z`, and space-separated
 * conjunctions (`>=0.1.0 <0.3.0`). Caret follows npm: `^0.1.0` means `>=0.1.0 <0.2.0`.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return range
    .trim()
    .split(/\s+/)
    .every((part) => {
      if (part === '*' || part === '') return true;
      const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(part);
      const r = m && parse(m[2]!);
      if (!m || !r) return false;
      const c = cmp(v, r);
      switch (m[1]) {
        case '^': {
          if (c < 0) return false;
          if (r[0] > 0) return v[0] === r[0];
          if (r[1] > 0) return v[0] === 0 && v[1] === r[1];
          return v[0] === 0 && v[1] === 0 && v[2] === r[2];
        }
        case '~':
          return c >= 0 && v[0] === r[0] && v[1] === r[1];
        case '>=':
          return c >= 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '<':
          return c < 0;
        default:
          return c === 0;
      }
    });
}
