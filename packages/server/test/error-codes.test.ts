import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVER_ERROR_CODES } from '../src/errors/error-codes.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('error-codes.ts') ? [p] : [];
  });

describe('SERVER_ERROR_CODES', () => {
  const text = sources(src).map((f) => readFileSync(f, 'utf8')).join('\n');
  // codes of thrown errors, and of the HTTP API's own error bodies (apiError(status, 'CODE', ...), `?? 'CODE'`)
  const written = new Set(
    [/code:\s*'([A-Z][A-Z0-9_]+)'/g, /apiError\(\d+,\s*'([A-Z][A-Z0-9_]+)'/g, /\?\?\s*'([A-Z][A-Z0-9_]+)'/g].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!)),
  );

  it('lists every code written in src/, and no code src/ no longer writes', () => {
    expect(written.size).toBeGreaterThan(3);
    expect([...written].filter((c) => !(c in SERVER_ERROR_CODES))).toEqual([]);
    expect(Object.keys(SERVER_ERROR_CODES).filter((c) => !written.has(c))).toEqual([]);
  });
});
