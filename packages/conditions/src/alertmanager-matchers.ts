/** One Alertmanager label matcher: `name op "value"`. */
export interface AlertMatcher {
  name: string;
  /** `=` equal, `!=` not equal, `=~` regex match, `!~` regex no match (regexes fully anchored, as in Alertmanager). */
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

const MATCHER_RE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"{},]*))\s*$/;

/**
 * Parses a matcher as Alertmanager writes them (`alertname="ScyllaDown"`,
 * `severity=~"critical|page"`, `team!=db`); the value may be quoted (with `\"`
 * and `\\` escapes) or a bare word. Regexes are checked to compile.
 * @returns the matcher, or a message saying what is wrong
 */
export function parseAlertMatcher(text: string): AlertMatcher | string {
  const m = MATCHER_RE.exec(text);
  if (!m) return `"${text}" is not a matcher; write name="value", name!="value", name=~"regex" or name!~"regex"`;
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
  const op = m[2] as AlertMatcher['op'];
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      return `the regex of "${text}" does not compile: ${(e as Error).message}`;
    }
  }
  return { name: m[1]!, op, value };
}

/** The matcher in Alertmanager's own syntax (value quoted), as sent in `filter=`. */
export function formatAlertMatcher(m: AlertMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/** Whether a label set satisfies the matcher (a missing label is the empty string, as in Alertmanager). */
export function matchesLabels(m: AlertMatcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}
