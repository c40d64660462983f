import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RecoverableError, UnrecoverableError, classifyError } from '@scylla-cp/core';
import { ScyllaApiError, ScyllaApiRejectedError, ScyllaApiUnavailableError, TASKS_SCYLLA_ERROR_CODES, scyllaApiStatus } from '../src/index.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('error-codes.ts') ? [p] : [];
  });

describe('TASKS_SCYLLA_ERROR_CODES', () => {
  const text = sources(src).map((f) => readFileSync(f, 'utf8')).join('\n');
  // every upper-case string literal on a line that sets a code (also `code: timeout ? 'A' : 'B'`)
  const written = new Set(
    text
      .split('\n')
      .filter((l) => /\bcode:/.test(l) && !l.trimStart().startsWith('*'))
      .flatMap((l) => [...l.matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)].map((m) => m[1]!)),
  );

  it('lists every code written in src/', () => {
    expect(written.size).toBeGreaterThan(30);
    expect([...written].filter((c) => !(c in TASKS_SCYLLA_ERROR_CODES))).toEqual([]);
  });

  it('lists no code src/ no longer writes', () => {
    expect(Object.keys(TASKS_SCYLLA_ERROR_CODES).filter((c) => !written.has(c))).toEqual([]);
  });
});

describe('ScyllaApiError is one class; retryable says which kind of failure', () => {
  const call = { method: 'GET', path: '/storage_service/gossiping', origin: '127.0.0.1:10000' };

  it('rejected and unavailable failures are instances of the one class', () => {
    const rejected = new ScyllaApiError({ ...call, status: 400, scyllaMessage: 'unknown repair id 5' });
    const down = ScyllaApiError.unavailable(call, 'no connection (ECONNREFUSED)', { code: 'SCYLLA_API_UNREACHABLE' });
    expect(rejected.constructor).toBe(down.constructor);
    expect([rejected.retryable, down.retryable]).toEqual([false, true]);
    expect([rejected.code, down.code]).toEqual(['SCYLLA_API_REJECTED', 'SCYLLA_API_UNREACHABLE']);
    expect(rejected.message).toBe('Scylla REST API GET http://127.0.0.1:10000/storage_service/gossiping answered 400: unknown repair id 5');
    expect(down.message).toBe('Scylla REST API GET http://127.0.0.1:10000/storage_service/gossiping: no connection (ECONNREFUSED)');
    expect([rejected instanceof UnrecoverableError, rejected instanceof RecoverableError]).toEqual([true, false]);
    expect([down instanceof RecoverableError, down instanceof UnrecoverableError]).toEqual([true, false]);
    expect([rejected instanceof ScyllaApiRejectedError, rejected instanceof ScyllaApiUnavailableError]).toEqual([true, false]);
    expect([down instanceof ScyllaApiUnavailableError, down instanceof ScyllaApiRejectedError]).toEqual([true, false]);
    expect([classifyError(rejected), classifyError(down)]).toEqual(['unrecoverable', 'recoverable']);
    expect([scyllaApiStatus(rejected), scyllaApiStatus(down)]).toEqual([400, undefined]);
  });

  it('an error of an older copy of this package (two classes) is still a ScyllaApiError', () => {
    const old = new Error('old') as Error & Record<symbol, unknown>;
    Object.defineProperty(old, Symbol.for('@scylla-cp/core.error-kinds'), { value: ['ScyllaApiUnavailableError', 'RecoverableError', 'ScyllaCpError'] });
    expect(old instanceof ScyllaApiError).toBe(true);
    expect(old instanceof ScyllaApiUnavailableError).toBe(true);
    expect(classifyError(old)).toBe('recoverable');
  });
});
