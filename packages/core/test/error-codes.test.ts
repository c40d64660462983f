import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CORE_ERROR_CODES,
  ClusterLockedError,
  ConditionTimeoutError,
  RecoverableError,
  ScyllaCpError,
  UnrecoverableError,
  classifyError,
  retryableOf,
} from '@scylla-cp/core';

const src = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('CORE_ERROR_CODES: the catalogue of every code core throws', () => {
  // The store contract suite (store/contract/) writes sample errors, not codes core throws.
  const files = sources(src).filter((f) => !f.endsWith('error-codes.ts') && !f.includes(`${join('store', 'contract')}`));
  const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');

  it('lists every code written in src/ (code: \'X\' or a default ?? \'X\')', () => {
    const thrown = new Set([...text.matchAll(/code(?::|\s*\?\?)\s*'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));
    expect(thrown.size).toBeGreaterThan(30);
    const missing = [...thrown].filter((c) => !(c in CORE_ERROR_CODES));
    expect(missing).toEqual([]);
  });

  it('lists no code that src/ no longer uses', () => {
    const stale = Object.keys(CORE_ERROR_CODES).filter((c) => !text.includes(`'${c}'`));
    expect(stale).toEqual([]);
  });

  it('states each class\'s retry intent as classifyError sees it', () => {
    expect(classifyError(new RecoverableError('x'))).toBe(CORE_ERROR_CODES.RECOVERABLE.retryable ? 'recoverable' : 'unrecoverable');
    expect(classifyError(new UnrecoverableError('x'))).toBe('unrecoverable');
    expect(CORE_ERROR_CODES.UNRECOVERABLE.retryable).toBe(false);
    expect(new ConditionTimeoutError({ condition: 'c', timeoutSeconds: 1, lastDetail: '', polls: 1 }).retryable).toBe(CORE_ERROR_CODES.CONDITION_TIMEOUT.retryable);
    expect(new ClusterLockedError('c', 'j', 'o', 'running').retryable).toBeUndefined();
  });
});

describe('retryable on the error root', () => {
  class OneSourceError extends ScyllaCpError {
    static override readonly kind: string = 'OneSourceError';
  }

  it('one class whose instances are either: instanceof RecoverableError / UnrecoverableError and classifyError follow retryable', () => {
    const again = new OneSourceError('try again', { retryable: true });
    const never = new OneSourceError('never', { retryable: false });
    const silent = new OneSourceError('says nothing');
    expect(again instanceof RecoverableError).toBe(true);
    expect(again instanceof UnrecoverableError).toBe(false);
    expect(never instanceof UnrecoverableError).toBe(true);
    expect(never instanceof RecoverableError).toBe(false);
    expect(silent instanceof RecoverableError || silent instanceof UnrecoverableError).toBe(false);
    expect([classifyError(again), classifyError(never), classifyError(silent)]).toEqual(['recoverable', 'unrecoverable', 'unrecoverable']);
    expect([retryableOf(again), retryableOf(never), retryableOf(silent), retryableOf(new Error('x'))]).toEqual([true, false, undefined, undefined]);
  });

  it('a retryable cause makes a wrapper without its own intent recoverable, as before', () => {
    const wrapper = new ScyllaCpError('wrapped', { cause: new OneSourceError('inner', { retryable: true }) });
    expect(classifyError(wrapper)).toBe('recoverable');
  });

  it('subclasses of RecoverableError still match by kind only', () => {
    class SubRecoverable extends RecoverableError {
      static override readonly kind: string = 'SubRecoverable';
    }
    expect(new OneSourceError('x', { retryable: true }) instanceof SubRecoverable).toBe(false);
    expect(new SubRecoverable('x') instanceof SubRecoverable).toBe(true);
    expect(new SubRecoverable('x') instanceof RecoverableError).toBe(true);
  });

  it('an error of an older core copy (kinds marker, no retryable) is classified by kind', () => {
    const old = new Error('old copy') as Error & Record<symbol, unknown>;
    Object.defineProperty(old, Symbol.for('@scylla-cp/core.error-kinds'), { value: ['RecoverableError', 'ScyllaCpError'] });
    expect(classifyError(old)).toBe('recoverable');
    expect(old instanceof RecoverableError).toBe(true);
  });
});
