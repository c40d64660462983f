/** One sample of the Prometheus text exposition format. */
export interface ExpositionSample {
  /** Labels including `__name__`. */
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(text);
  }
}

/**
 * Parses Prometheus text exposition (version 0.0.4): comment and blank lines
 * are skipped; each sample line is `name{label="value",...} value [timestamp]`.
 * Label values may contain `\\`, `\"` and `\n` escapes.
 * @throws Error naming the 1-based line of a malformed sample.
 */
export function parseExposition(text: string): ExpositionSample[] {
  const out: ExpositionSample[] = [];
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = NAME.exec(line);
    if (!m) throw new Error(`metrics line ${ln + 1}: expected a metric name: ${line}`);
    const labels: Record<string, string> = { __name__: m[0] };
    let i = m[0].length;
    if (line[i] === '{') {
      i++;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i++;
        if (line[i] === '}') {
          i++;
          break;
        }
        const lm = NAME.exec(line.slice(i));
        if (!lm || line[i + lm[0].length] !== '=' || line[i + lm[0].length + 1] !== '"') {
          throw new Error(`metrics line ${ln + 1}: malformed label at column ${i + 1}: ${line}`);
        }
        i += lm[0].length + 2;
        let v = '';
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\') {
            const n = line[i + 1];
            v += n === 'n' ? '\n' : n;
            i += 2;
          } else v += line[i++];
        }
        if (line[i] !== '"') throw new Error(`metrics line ${ln + 1}: unterminated label value: ${line}`);
        i++;
        labels[lm[0]] = v;
      }
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0] ?? '');
    if (rest[0] === undefined || (Number.isNaN(value) && rest[0] !== 'NaN')) {
      throw new Error(`metrics line ${ln + 1}: malformed value: ${line}`);
    }
    out.push({ labels, value });
  }
  return out;
}
