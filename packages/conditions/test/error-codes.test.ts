import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RecoverableError, ScyllaCpError, UnrecoverableError, classifyError } from '@scylla-cp/core';
import {
  CONDITIONS_ERROR_CODES,
  PrometheusError,
  PrometheusRecoverableError,
  PrometheusUnrecoverableError,
  isRecoverablePrometheusError,
} from '../src/index.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('error-codes.ts') ? [p] : [];
  });

describe('CONDITIONS_ERROR_CODES', () => {
  const text = sources(src).map((f) => readFileSync(f, 'utf8')).join('\n');

  it("lists every code: 'X' written in src/, and no code src/ no longer writes", () => {
    const written = new Set([...text.matchAll(/code:\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));
    expect(written.size).toBeGreaterThan(8);
    expect([...written].filter((c) => !(c in CONDITIONS_ERROR_CODES))).toEqual([]);
    const stale = Object.keys(CONDITIONS_ERROR_CODES).filter((c) => !c.startsWith('PROMETHEUS_') && !written.has(c));
    expect(stale).toEqual([]);
  });

  it('lists PROMETHEUS_<errorType> for each documented errorType, with the retry intent of the rule', () => {
    const types = [...readFileSync(join(src, 'prometheus-error.ts'), 'utf8').matchAll(/^ {2}\| '([a-z_]+)'$/gm)].map((m) => m[1]!);
    expect(types.length).toBe(12);
    for (const t of types) {
      const entry = CONDITIONS_ERROR_CODES[`PROMETHEUS_${t.toUpperCase()}` as keyof typeof CONDITIONS_ERROR_CODES];
      expect(entry, t).toBeDefined();
      if (t === 'http') expect(entry.retryable).toBeUndefined();
      else expect(entry.retryable, t).toBe(isRecoverablePrometheusError(t));
    }
    expect(Object.keys(CONDITIONS_ERROR_CODES).filter((c) => c.startsWith('PROMETHEUS_'))).toHaveLength(types.length);
  });
});

describe('PrometheusError is one class; retryable says which kind of failure', () => {
  const info = { endpoint: 'http://127.0.0.1:9/api/v1/query', query: 'up' };

  it('recoverable and unrecoverable instances of the one class', () => {
    const again = PrometheusError.create('busy', { ...info, errorType: 'unavailable', httpStatus: 503 });
    const never = PrometheusError.create('bad', { ...info, errorType: 'bad_data', httpStatus: 400 });
    expect(again).toBeInstanceOf(PrometheusError);
    expect(never).toBeInstanceOf(PrometheusError);
    expect(again.constructor).toBe(never.constructor);
    expect([again.retryable, again.recoverable, never.retryable, never.recoverable]).toEqual([true, true, false, false]);
    expect([again instanceof RecoverableError, again instanceof UnrecoverableError]).toEqual([true, false]);
    expect([never instanceof RecoverableError, never instanceof UnrecoverableError]).toEqual([false, true]);
    expect([again instanceof PrometheusRecoverableError, again instanceof PrometheusUnrecoverableError]).toEqual([true, false]);
    expect([never instanceof PrometheusRecoverableError, never instanceof PrometheusUnrecoverableError]).toEqual([false, true]);
    expect([classifyError(again), classifyError(never)]).toEqual(['recoverable', 'unrecoverable']);
    expect(again).toBeInstanceOf(ScyllaCpError);
    expect(again.name).toBe('PrometheusError');
  });

  it('an error of an older copy of this package (two classes) is still a PrometheusError', () => {
    const old = new Error('old') as Error & Record<symbol, unknown>;
    Object.defineProperty(old, Symbol.for('@scylla-cp/core.error-kinds'), { value: ['PrometheusUnrecoverableError', 'UnrecoverableError', 'ScyllaCpError'] });
    expect(old instanceof PrometheusError).toBe(true);
    expect(old instanceof PrometheusUnrecoverableError).toBe(true);
    expect(old instanceof PrometheusRecoverableError).toBe(false);
    expect(classifyError(old)).toBe('unrecoverable');
  });
});
