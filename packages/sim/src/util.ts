import type { Prng } from '@scylla-cp/core';

/** A random (v4-format) UUID from the PRNG. */
export function uuid(prng: Prng): string {
  const hex = [prng.nextUint32(), prng.nextUint32(), prng.nextUint32(), prng.nextUint32()].map((x) => x.toString(16).padStart(8, '0')).join('');
  const v = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17)}`;
  return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20, 32)}`;
}

/** The same UUID with its last hex digit changed (a different schema version). */
export function flipUuid(u: string): string {
  const last = u[u.length - 1]!;
  return u.slice(0, -1) + (last === '0' ? '1' : '0');
}

/** Numeric IPv4 order (what a `std::set` of addresses gives). */
export function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** A small deterministic string hash (FNV-1a, 32 bits). */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const abortWaiters = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

/**
 * Calls `fn` with the signal's reason when it aborts; returns a function that unregisters it.
 * All callers of one signal share a single listener, so that many concurrent requests under one
 * job signal do not trip Node's MaxListeners warning.
 */
export function onAbort(signal: AbortSignal, fn: (reason: unknown) => void): () => void {
  let set = abortWaiters.get(signal);
  if (!set) {
    const waiters = new Set<(reason: unknown) => void>();
    set = waiters;
    abortWaiters.set(signal, waiters);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...waiters]) f(signal.reason);
        waiters.clear();
      },
      { once: true },
    );
  }
  const s = set;
  s.add(fn);
  return () => {
    s.delete(fn);
  };
}
