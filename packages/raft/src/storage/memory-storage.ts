import type { Entry, HardState, Snapshot } from '../core/messages.js';
import type { PersistedState, Storage, StorageUpdate } from './storage.js';

/**
 * Storage in process memory. Survives a simulated crash (the same object is handed to
 * the restarted server) but not a real one. For tests and the simulator.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private snapshot: Snapshot | null = null;
  private offset = 0;
  private offsetTerm = 0;
  private entries: Entry[] = [];
  /** Number of `save` calls (one per fsync in a durable storage). */
  saves = 0;

  load(): PersistedState {
    return {
      hardState: this.hardState,
      snapshot: this.snapshot,
      offset: this.offset,
      offsetTerm: this.offsetTerm,
      entries: this.entries.slice(),
    };
  }

  save(update: StorageUpdate): void {
    this.saves++;
    if (update.snapshot) {
      this.snapshot = update.snapshot;
      this.offset = update.snapshot.index;
      this.offsetTerm = update.snapshot.term;
      this.entries = [];
    }
    const ents = update.entries;
    if (ents && ents.length > 0) {
      const first = (ents[0] as Entry).index;
      if (first <= this.offset) throw new Error(`MemoryStorage: entry ${first} is at or below the compaction point ${this.offset}`);
      if (first > this.offset + this.entries.length + 1) {
        throw new Error(`MemoryStorage: gap: entry ${first} after last ${this.offset + this.entries.length}`);
      }
      this.entries.length = first - this.offset - 1;
      for (const e of ents) this.entries.push(e);
    }
    if (update.hardState) this.hardState = update.hardState;
  }

  saveSnapshot(snapshot: Snapshot, compactIndex: number, compactTerm: number): void {
    if (this.snapshot && snapshot.index <= this.snapshot.index) return;
    this.snapshot = snapshot;
    if (compactIndex > this.offset) {
      this.entries = this.entries.slice(compactIndex - this.offset);
      this.offset = compactIndex;
      this.offsetTerm = compactTerm;
    }
  }

  /** Term of the stored entry at `index` (or of the compaction point); undefined if absent. */
  term(index: number): number | undefined {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.offset + this.entries.length) return undefined;
    return (this.entries[index - this.offset - 1] as Entry).term;
  }

  /** Index of the last stored entry. */
  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  close(): void {
    /* nothing to release; the data stays for a simulated restart */
  }
}
