/** A label matcher of an instant vector selector. */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Thrown for an expression outside the supported subset (maps to Prometheus `bad_data`). */
export class PromqlSubsetError extends Error {
  override readonly name = 'PromqlSubsetError';
}

/**
 * Parses an instant vector selector: `metric`, `metric{l="v",...}` or
 * `{__name__=~"a|b",l!="v"}`. Matchers `=`, `!=`, `=~`, `!~`; string values in
 * double or single quotes with backslash escapes. Anything else (functions,
 * aggregations, operators, range selectors) is rejected with
 * {@link PromqlSubsetError}: this is the subset the simulated Prometheus serves.
 */
export function parseSelector(expr: string): LabelMatcher[] {
  const s = expr.trim();
  let i = 0;
  const matchers: LabelMatcher[] = [];
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s);
  if (name) {
    matchers.push({ name: '__name__', op: '=', value: name[0] });
    i = name[0].length;
  }
  while (s[i] === ' ') i++;
  if (s[i] === '{') {
    i++;
    for (;;) {
      while (s[i] === ' ' || s[i] === ',') i++;
      if (s[i] === '}') {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
      if (!ln) throw new PromqlSubsetError(`unsupported expression at character ${i + 1}: ${s}`);
      i += ln[0].length;
      while (s[i] === ' ') i++;
      const op = (['=~', '!~', '!=', '='] as const).find((o) => s.startsWith(o, i));
      if (!op) throw new PromqlSubsetError(`expected a label matcher operator at character ${i + 1}: ${s}`);
      i += op.length;
      while (s[i] === ' ') i++;
      const quote = s[i];
      if (quote !== '"' && quote !== "'") throw new PromqlSubsetError(`expected a quoted string at character ${i + 1}: ${s}`);
      i++;
      let v = '';
      while (i < s.length && s[i] !== quote) {
        if (s[i] === '\\') {
          const n = s[i + 1];
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
        } else v += s[i++];
      }
      if (s[i] !== quote) throw new PromqlSubsetError(`unterminated string: ${s}`);
      i++;
      matchers.push({ name: ln[0], op, value: v });
    }
  }
  while (s[i] === ' ') i++;
  if (i !== s.length || matchers.length === 0) {
    throw new PromqlSubsetError(
      `the simulated Prometheus only evaluates instant vector selectors (metric{label="value",...}); cannot evaluate: ${s}`,
    );
  }
  return matchers;
}

/** Whether a series' labels satisfy every matcher (regexes are fully anchored, as in PromQL). */
export function matchesSelector(labels: Record<string, string>, matchers: readonly LabelMatcher[]): boolean {
  for (const m of matchers) {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        if (v !== m.value) return false;
        break;
      case '!=':
        if (v === m.value) return false;
        break;
      case '=~':
        if (!new RegExp(`^(?:${m.value})$`).test(v)) return false;
        break;
      case '!~':
        if (new RegExp(`^(?:${m.value})$`).test(v)) return false;
        break;
    }
  }
  return true;
}
