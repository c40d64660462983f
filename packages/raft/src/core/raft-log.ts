import { entrySizeBytes, type Entry, type Snapshot } from './messages.js';

/**
 * The in-memory Raft log of one member: entries after a compaction point `offset`
 * (whose term is `offsetTerm`), the latest snapshot, and the commit/apply/persist cursors.
 * Entries `<= stabled` are durable; entries `<= committed` are committed; entries
 * `<= applied` have been handed to the state machine.
 */
export class RaftLog {
  /** Index of the last compacted entry (entries[0].index === offset + 1). */
  offset: number;
  offsetTerm: number;
  entries: Entry[];
  committed: number;
  applied: number;
  stabled: number;
  /** Latest snapshot known (local or installed). */
  snapshot: Snapshot | null;
  /** A snapshot received from the leader, not yet persisted and applied. */
  pendingSnapshot: Snapshot | null = null;

  constructor(offset: number, offsetTerm: number, entries: Entry[], snapshot: Snapshot | null, committed: number) {
    this.offset = offset;
    this.offsetTerm = offsetTerm;
    this.entries = entries;
    this.snapshot = snapshot;
    this.stabled = this.lastIndex();
    this.applied = snapshot ? snapshot.index : offset;
    this.committed = Math.max(committed, this.applied);
    assert(this.committed <= this.lastIndex(), `commit ${this.committed} beyond last index ${this.lastIndex()}`);
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  /** Term of the entry at `index`; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.lastIndex()) return undefined;
    return (this.entries[index - this.offset - 1] as Entry).term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.offset) return undefined;
    return this.entries[index - this.offset - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's up-to-date check for votes (§5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Leader append; returns the new last index. */
  append(entries: readonly Entry[]): number {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, `append gap: ${e.index} after ${this.lastIndex()}`);
      this.entries.push(e);
    }
    return this.lastIndex();
  }

  /**
   * Follower append after the entry (`prevIndex`, `prevTerm`). Returns the index of the
   * last new entry, or null when the previous entry does not match (reject).
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    let i = 0;
    for (; i < entries.length; i++) {
      const e = entries[i] as Entry;
      if (e.index <= this.offset) continue;
      const t = this.term(e.index);
      if (t === undefined || t !== e.term) break;
    }
    if (i < entries.length) {
      const from = (entries[i] as Entry).index;
      assert(from > this.committed, `conflict at ${from} would overwrite committed ${this.committed}`);
      this.entries.length = from - this.offset - 1;
      this.stabled = Math.min(this.stabled, from - 1);
      for (; i < entries.length; i++) this.entries.push(entries[i] as Entry);
    }
    return lastNew;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term` (or the
   * compaction point). A follower uses it to hint where the leader should probe next.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.offset) {
      const t = this.term(i) as number;
      if (t <= term) return i;
      i--;
    }
    return this.offset;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /** Entries in [lo, hi) limited to about `maxBytes` (at least one); undefined if `lo` is compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo <= this.offset) return undefined;
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entries[i - this.offset - 1] as Entry;
      const s = entrySizeBytes(e);
      if (out.length > 0 && bytes + s > maxBytes) break;
      out.push(e);
      bytes += s;
    }
    return out;
  }

  /** Entries that still need to be persisted. */
  unstableEntries(): Entry[] {
    if (this.stabled >= this.lastIndex()) return [];
    return this.entries.slice(Math.max(this.stabled, this.offset) - this.offset);
  }

  /** Committed entries not yet applied, up to about `maxBytes`. */
  nextCommitted(maxBytes: number): Entry[] {
    if (this.pendingSnapshot) return [];
    const lo = this.applied + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, maxBytes) ?? [];
  }

  /** Replaces the whole log by an installed snapshot. */
  restore(snapshot: Snapshot): void {
    this.entries = [];
    this.offset = snapshot.index;
    this.offsetTerm = snapshot.term;
    this.committed = snapshot.index;
    this.applied = snapshot.index;
    this.stabled = snapshot.index;
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
  }

  /** Drops entries up to `index` (must be covered by the snapshot and applied). */
  compact(index: number): void {
    if (index <= this.offset) return;
    assert(index <= this.applied, `compact ${index} beyond applied ${this.applied}`);
    assert(this.snapshot !== null && index <= this.snapshot.index, `compact ${index} beyond snapshot`);
    const term = this.term(index) as number;
    this.entries = this.entries.slice(index - this.offset);
    this.offset = index;
    this.offsetTerm = term;
  }
}

/** Internal invariant check: throws (a simulator "crash") when violated. */
export function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(`raft invariant violated: ${message}`);
}
