/** Identifier of a Raft member (any non-empty string, e.g. a host id). */
export type NodeId = string;

/** The kind of a log entry. `normal` carries user data (empty data = leader no-op); `conf` a membership change. */
export type EntryType = 'normal' | 'conf';

/** One step of a membership change. */
export interface ConfChangeStep {
  /** `addVoter` also promotes a learner; `addLearner` adds a non-voting member; `remove` drops any member. */
  readonly type: 'addVoter' | 'addLearner' | 'remove';
  readonly node: NodeId;
}

/**
 * A membership change carried by a `conf` entry. A non-empty `steps` enters joint
 * consensus (or, when the voter set is unchanged, takes effect directly); an empty
 * `steps` leaves the joint configuration (proposed automatically by the leader).
 */
export interface ConfChange {
  readonly steps: readonly ConfChangeStep[];
}

/** A replicated log entry. Index and term start at 1. */
export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  /** User payload for `normal` entries (empty for the leader's no-op). */
  readonly data: Uint8Array;
  /** The change for `conf` entries. */
  readonly change?: ConfChange;
}

/** The membership: incoming voters, outgoing voters (non-empty only while joint) and learners. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  /** Voters of the previous configuration while in joint consensus; empty otherwise. */
  readonly votersOutgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** The state that must be durable before any message depending on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** A state-machine snapshot covering every entry up to and including `index`. */
export interface Snapshot {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
  readonly data: Uint8Array;
}

/** Wire message kinds, after etcd raft's MsgApp, MsgVote, ... */
export type MessageType =
  | 'append'
  | 'appendResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snapshot'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp'
  | 'transferLeader';

/**
 * A message between members. Fields other than type/from/to/term are set per type:
 * `append`: index/logTerm of the entry before `entries`, commit;
 * `appendResp`: index (last matched or rejected probe), reject, rejectHint + logTerm (fast backtracking);
 * `vote`/`preVote`: index/logTerm = candidate's last entry, context `transfer` for a forced campaign;
 * `heartbeat`: commit, context (ReadIndex round); `snapshot`: snapshot;
 * `readIndex`/`readIndexResp`: context (request id), index (read index).
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly index?: number;
  readonly logTerm?: number;
  readonly commit?: number;
  readonly entries?: readonly Entry[];
  readonly reject?: boolean;
  readonly rejectHint?: number;
  readonly snapshot?: Snapshot;
  readonly context?: string;
}

/** Approximate wire size of an entry in bytes, used for flow control. */
export function entrySizeBytes(entry: Entry): number {
  return entry.data.length + 24 + (entry.change ? 32 * entry.change.steps.length : 0);
}

/** An empty byte array (shared; never mutate). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
