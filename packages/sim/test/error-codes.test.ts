import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIM_ERROR_CODES } from '../src/errors/error-codes.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('error-codes.ts') ? [p] : [];
  });

describe('SIM_ERROR_CODES', () => {
  const text = sources(src).map((f) => readFileSync(f, 'utf8')).join('\n');
  // every upper-case string literal on a line that sets a code (not in comments)
  const written = new Set(
    text
      .split('\n')
      .filter((l) => /\bcode:/.test(l) && !l.trimStart().startsWith('*') && !l.trimStart().startsWith('//'))
      .flatMap((l) => [...l.matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)].map((m) => m[1]!)),
  );

  it('lists every code written in src/, and no code src/ no longer writes', () => {
    expect(written.size).toBeGreaterThan(3);
    expect([...written].filter((c) => !(c in SIM_ERROR_CODES))).toEqual([]);
    expect(Object.keys(SIM_ERROR_CODES).filter((c) => !written.has(c))).toEqual([]);
  });
});
