import type { Entry, HardState, Snapshot } from '../core/messages.js';

/** Everything a member persisted, as loaded at start. */
export interface PersistedState {
  readonly hardState: HardState;
  /** Latest snapshot (a bootstrap member stores one at index 0 holding the initial membership). */
  readonly snapshot: Snapshot | null;
  /** Index and term of the entry just before `entries[0]` (the compaction point). */
  readonly offset: number;
  readonly offsetTerm: number;
  /** Stored entries after `offset`, in order. */
  readonly entries: Entry[];
}

/** One durable write produced by a Ready. */
export interface StorageUpdate {
  /** Snapshot installed from the leader: replaces the whole log (entries and compaction point). */
  readonly snapshot?: Snapshot;
  /** Entries to store; any stored entry with index >= entries[0].index is replaced. */
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
}

/**
 * Durable storage of one member. Every method is synchronous and must be durable when it
 * returns: the server sends messages acknowledging entries only afterwards. One `save` is
 * one atomic write (one fsync), however many entries it carries.
 */
export interface Storage {
  /** Loads the persisted state; an empty storage returns term 0, no snapshot, no entries. */
  load(): PersistedState;
  /** Atomically persists a Ready's snapshot, entries and hard state. */
  save(update: StorageUpdate): void;
  /**
   * Optional asynchronous form of `save`: writes atomically at once (in call order) and
   * calls `done` when the write is durable. When present, `RaftServer` uses it so that it
   * keeps receiving messages and gathering proposals while the disk syncs.
   */
  saveAsync?(update: StorageUpdate, done: (error: Error | null) => void): void;
  /** Stores a locally taken snapshot and drops entries up to `compactIndex` (whose term is `compactTerm`). */
  saveSnapshot(snapshot: Snapshot, compactIndex: number, compactTerm: number): void;
  /** Releases resources. */
  close(): void;
}
