import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES } from '../src/errors/error-codes.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('error-codes.ts') ? [p] : [];
  });

describe('CLI_ERROR_CODES', () => {
  const text = sources(src).map((f) => readFileSync(f, 'utf8')).join('\n');
  const written = new Set([...text.matchAll(/code:\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));

  it('lists every code written in src/, and no code src/ no longer writes', () => {
    expect(written.size).toBeGreaterThan(3);
    expect([...written].filter((c) => !(c in CLI_ERROR_CODES))).toEqual([]);
    expect(Object.keys(CLI_ERROR_CODES).filter((c) => !written.has(c))).toEqual([]);
  });
});
