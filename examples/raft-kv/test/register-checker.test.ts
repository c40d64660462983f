import { describe, expect, it } from 'vitest';
import { KvStateMachine, encodeCommand } from '../src/kv-state-machine.js';
import { checkRegister, type RegisterOp } from './register-checker.js';

const w = (value: string, invokeMs: number, completeMs: number): RegisterOp => ({ kind: 'write', value, invokeMs, completeMs });
const r = (value: string | null, invokeMs: number, completeMs: number): RegisterOp => ({ kind: 'read', value, invokeMs, completeMs });

describe('checkRegister (per-key linearizability)', () => {
  it('accepts sequential and overlapping histories that have a linearization', () => {
    expect(checkRegister([w('a', 0, 10), r('a', 11, 12), w('b', 13, 20), r('b', 21, 22)]).ok).toBe(true);
    // overlapping write and read: the read may see either value
    expect(checkRegister([w('a', 0, 10), w('b', 5, 30), r('a', 12, 15), r('b', 16, 18)]).ok).toBe(true);
    expect(checkRegister([r(null, 0, 1), w('a', 2, 3)]).ok).toBe(true);
  });

  it('rejects a stale read', () => {
    const v = checkRegister([w('a', 0, 10), w('b', 11, 20), r('a', 21, 22)]);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/no linearization/);
  });

  it('rejects values going back (a write applied twice: a retry re-applied after a newer write)', () => {
    expect(checkRegister([w('a', 0, 10), w('b', 11, 20), r('b', 21, 22), r('a', 23, 24)]).ok).toBe(false);
  });

  it('lets an unknown write take effect late, or never', () => {
    expect(checkRegister([w('a', 0, Infinity), r(null, 5, 6), r('a', 50, 51)]).ok).toBe(true);
    expect(checkRegister([w('a', 0, Infinity), r(null, 50, 51)]).ok).toBe(true);
    // but not before it was invoked
    expect(checkRegister([r('a', 0, 1), w('a', 2, Infinity)]).ok).toBe(false);
  });

  it('rejects a read of a value nobody wrote (e.g. a write reported as not applied)', () => {
    expect(checkRegister([r('zz', 0, 1)]).reason).toMatch(/no write/);
  });
});

describe('KvStateMachine: exactly once per request id', () => {
  it('a retried request is not applied again, even after a newer write and a snapshot restore', () => {
    const sm = new KvStateMachine();
    const rid = { client: 'c1', seq: 1 };
    expect(sm.apply(encodeCommand({ op: 'put', key: 'k', value: 'a', rid }), 1)).toEqual({ ok: true, previous: null, index: 1 });
    sm.apply(encodeCommand({ op: 'put', key: 'k', value: 'b', rid: { client: 'c2', seq: 1 } }), 2);
    const again = sm.apply(encodeCommand({ op: 'put', key: 'k', value: 'a', rid }), 3);
    expect(again).toEqual({ ok: true, previous: null, index: 1, duplicate: true });
    expect(sm.get('k')).toBe('b');
    const copy = new KvStateMachine();
    copy.restore(sm.snapshot());
    expect(copy.apply(encodeCommand({ op: 'put', key: 'k', value: 'a', rid }), 4)).toMatchObject({ duplicate: true, index: 1 });
    expect(copy.get('k')).toBe('b');
    // a command without an id is applied every time
    copy.apply(encodeCommand({ op: 'put', key: 'k', value: 'x' }), 5);
    expect(copy.get('k')).toBe('x');
  });
});
