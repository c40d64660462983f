import { SimFailure } from './sim-failure.js';

/** One client operation on the replicated register map. */
export interface HistoryOp {
  readonly kind: 'write' | 'read';
  readonly key: string;
  /** Written value, or value read (null = absent). */
  readonly value: string | null;
  /** Invocation time (ms, virtual). */
  readonly invokeMs: number;
  /** Completion time; Infinity when the outcome is unknown. */
  readonly completeMs: number;
  /** write: 'ok' | 'failed' (definitely not applied) | 'unknown'; read: 'ok'. */
  readonly outcome: 'ok' | 'failed' | 'unknown';
  /** read: the applied index the value was read at. */
  readonly readIndex?: number;
}

/**
 * Checks a history of writes (unique values) and index-tagged reads against the log order:
 * a write linearizes at its log index, a read at the index it observed. The history is
 * linearizable iff (1) every read returns the latest write to its key at or below its
 * index, (2) acknowledged writes are in the log and failed ones are not, and (3) no
 * operation is ordered before one that completed before it was invoked.
 * @param indexOfWrite log index of the command `key=value`, or undefined if never applied
 * @param valueAt the value of `key` after applying the log up to `index`
 */
export function checkLinearizable(
  history: readonly HistoryOp[],
  indexOfWrite: (key: string, value: string) => number | undefined,
  valueAt: (key: string, index: number) => string | null,
): void {
  const placed: { invoke: number; complete: number; pos: number; desc: string }[] = [];
  for (const op of history) {
    if (op.kind === 'write') {
      const idx = indexOfWrite(op.key, op.value as string);
      if (op.outcome === 'ok' && idx === undefined) {
        throw new SimFailure('correctness', `linearizability: acknowledged write ${op.key}=${op.value} is not in the applied log`);
      }
      if (op.outcome === 'failed' && idx !== undefined) {
        throw new SimFailure('correctness', `linearizability: write ${op.key}=${op.value} reported as not applied was applied at ${idx}`);
      }
      if (idx !== undefined) placed.push({ invoke: op.invokeMs, complete: op.completeMs, pos: 2 * idx, desc: `write ${op.key}=${op.value}@${idx}` });
    } else {
      const r = op.readIndex as number;
      const expected = valueAt(op.key, r);
      if (expected !== op.value) {
        throw new SimFailure('correctness', `linearizability: read of ${op.key} at index ${r} returned ${op.value}, the log says ${expected}`);
      }
      placed.push({ invoke: op.invokeMs, complete: op.completeMs, pos: 2 * r + 1, desc: `read ${op.key}=${op.value}@${r}` });
    }
  }
  const byComplete = placed.slice().sort((a, b) => a.complete - b.complete);
  const byInvoke = placed.slice().sort((a, b) => a.invoke - b.invoke);
  let j = 0;
  let maxPos = -1;
  let maxDesc = '';
  for (const b of byInvoke) {
    while (j < byComplete.length && (byComplete[j] as (typeof placed)[0]).complete < b.invoke) {
      const a = byComplete[j] as (typeof placed)[0];
      if (a.pos > maxPos) {
        maxPos = a.pos;
        maxDesc = a.desc;
      }
      j++;
    }
    if (maxPos > b.pos) {
      throw new SimFailure('correctness', `linearizability: ${b.desc} (invoked at ${b.invoke}) is ordered before ${maxDesc}, which completed earlier`);
    }
  }
}
