/** One operation on a single register, as a client saw it. Times in ms. */
export interface RegisterOp {
  readonly kind: 'write' | 'read';
  /** Written value (unique per write) or value read (null: absent). */
  readonly value: string | null;
  readonly invokeMs: number;
  /** Completion time; `Infinity` for a write whose outcome is unknown (it may or may not have taken effect). */
  readonly completeMs: number;
  /** Free text for the report (client, member, request id). */
  readonly label?: string;
}

/** The verdict for one key. */
export interface RegisterVerdict {
  readonly ok: boolean;
  /** Why not, when `ok` is false. */
  readonly reason?: string;
  /** Search states explored. */
  readonly explored: number;
}

/**
 * Linearizability of one read/write register whose writes carry unique values (initially
 * null), by a depth-first search over linearization orders with memoisation (after Wing &
 * Gong, and Lowe): an operation can be placed next when no unplaced operation completed
 * before it was invoked; a read must return the current value. Writes whose outcome is
 * unknown may be placed anywhere after their invocation or left out. Writes that no read
 * observed and that are unknown are dropped first (they can always go last).
 * `maxStates` bounds the search; beyond it the verdict is a failure that says so.
 */
export function checkRegister(history: readonly RegisterOp[], maxStates = 2_000_000): RegisterVerdict {
  const readValues = new Set(history.filter((o) => o.kind === 'read').map((o) => o.value));
  const written = new Set(history.filter((o) => o.kind === 'write').map((o) => o.value));
  for (const o of history) {
    if (o.kind === 'read' && o.value !== null && !written.has(o.value)) {
      return { ok: false, reason: `read ${o.label ?? ''} returned ${o.value}, which no write that may have taken effect wrote`, explored: 0 };
    }
  }
  const ops = history.filter((o) => !(o.kind === 'write' && o.completeMs === Infinity && !readValues.has(o.value))).slice();
  ops.sort((a, b) => a.invokeMs - b.invokeMs);
  const n = ops.length;
  const words = Math.ceil(n / 32) || 1;
  const placed = new Uint32Array(words);
  const seen = new Set<string>();
  let explored = 0;
  const required = ops.reduce((k, o) => k + (o.completeMs !== Infinity ? 1 : 0), 0);
  let deepest = 0;
  let deepestDesc = '';

  const isPlaced = (i: number): boolean => ((placed[i >>> 5] as number) & (1 << (i & 31))) !== 0;
  const flip = (i: number): void => {
    placed[i >>> 5] = (placed[i >>> 5] as number) ^ (1 << (i & 31));
  };

  const search = (value: string | null, placedRequired: number): boolean => {
    if (placedRequired === required) return true;
    if (++explored > maxStates) throw new Error('search bound');
    const key = `${value}|${placed.join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (placedRequired > deepest) {
      deepest = placedRequired;
      deepestDesc = `value ${value}`;
    }
    let minComplete = Infinity;
    for (let i = 0; i < n; i++) if (!isPlaced(i)) minComplete = Math.min(minComplete, (ops[i] as RegisterOp).completeMs);
    for (let i = 0; i < n; i++) {
      if (isPlaced(i)) continue;
      const o = ops[i] as RegisterOp;
      if (o.invokeMs > minComplete) break; // sorted by invocation: no later op can go first
      if (o.kind === 'read' && o.value !== value) continue;
      flip(i);
      const ok = search(o.kind === 'write' ? o.value : value, placedRequired + (o.completeMs !== Infinity ? 1 : 0));
      flip(i);
      if (ok) return true;
    }
    return false;
  };
  try {
    if (search(null, 0)) return { ok: true, explored };
  } catch {
    return { ok: false, reason: `gave up after ${maxStates} states (history too concurrent to decide)`, explored };
  }
  const unplacedCompleted = ops.filter((o) => o.completeMs !== Infinity).length - deepest;
  return { ok: false, reason: `no linearization: at best ${deepest} of ${required} completed operations placed (${deepestDesc}); ${unplacedCompleted} could not be`, explored };
}

/** Checks every key of a history; returns the failing keys with reasons. */
export function checkRegisters(byKey: ReadonlyMap<string, readonly RegisterOp[]>): { key: string; reason: string }[] {
  const out: { key: string; reason: string }[] = [];
  for (const [key, ops] of byKey) {
    const v = checkRegister(ops);
    if (!v.ok) out.push({ key, reason: v.reason ?? '' });
  }
  return out;
}
