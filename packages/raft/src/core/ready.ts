import type { Entry, HardState, Message, NodeId, Snapshot } from './messages.js';

/** Role of a member. `preCandidate` is the pre-vote phase that does not bump the term. */
export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state worth reporting (not persisted). */
export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A confirmed read index: once applied >= `index`, a read tagged `context` is linearizable. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * The work produced by the core since the last advance. Process in this order:
 * 1. persist `snapshot` (if any), then `entries` (replacing any stored entry at or after
 *    `entries[0].index`), then `hardState` (if any): durably, before step 2;
 * 2. send `messages` (exception: while the soft state says leader, messages for which
 *    {@link canSendBeforePersist} is true may go out before step 1, so the leader's disk
 *    write overlaps the followers');
 * 3. restore the state machine from `snapshot` (if any), apply `committedEntries` in
 *    order, serve `readStates` once the applied index reaches theirs (committed entries
 *    at or below the log's `stabled` index when the Ready was taken are already durable
 *    and may be applied before step 1);
 * 4. call `advance(ready)`.
 */
export interface Ready {
  /** Changed leader/role, or null. */
  readonly softState: SoftState | null;
  /** Changed term/vote/commit, or null. */
  readonly hardState: HardState | null;
  /** Entries to append to stable storage. */
  readonly entries: readonly Entry[];
  /** Snapshot received from the leader, to persist and restore; null if none. */
  readonly snapshot: Snapshot | null;
  /** Committed entries to apply, in index order. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting. */
  readonly messages: readonly Message[];
  /** Confirmed ReadIndex requests. */
  readonly readStates: readonly ReadState[];
}

/** True when a Ready carries nothing to do. */
export function readyIsEmpty(rd: Ready): boolean {
  return (
    rd.softState === null &&
    rd.hardState === null &&
    rd.entries.length === 0 &&
    rd.snapshot === null &&
    rd.committedEntries.length === 0 &&
    rd.messages.length === 0 &&
    rd.readStates.length === 0
  );
}

/**
 * True for leader-originated replication messages that are safe to send before the
 * leader's own log write completes (the leader counts its entries toward commitment
 * only after they are persisted and `advance` is called).
 */
export function canSendBeforePersist(type: string): boolean {
  return type === 'append' || type === 'heartbeat' || type === 'snapshot';
}
