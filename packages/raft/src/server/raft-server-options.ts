import type { ConfState, NodeId } from '../core/messages.js';
import type { Role } from '../core/ready.js';
import type { RaftError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import type { Clock } from './clock.js';
import type { StateMachine } from './state-machine.js';

/** Options of a {@link RaftServer}. Times in milliseconds unless the name says ticks. */
export interface RaftServerOptions<R> {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<R>;
  /** @default new SystemClock() */
  readonly clock?: Clock;
  /** Initial membership, used only when the storage is empty (first start of a founding member): written as a committed entry at index 1. Every founder must pass the same lists; joining members omit it. */
  readonly bootstrap?: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] };
  /** Length of one core tick. @default 100 */
  readonly tickIntervalMs?: number;
  /** Election timeout in ticks (randomized up to twice this). @default 10 */
  readonly electionTicks?: number;
  /** Heartbeat interval in ticks. @default 1 */
  readonly heartbeatTicks?: number;
  /** @default true */
  readonly preVote?: boolean;
  /**
   * A leader that has not heard from a quorum within an election timeout steps down (and
   * answers its pending proposals and reads at once). @default true
   */
  readonly checkQuorum?: boolean;
  /** @default 1048576 */
  readonly maxSizePerMsgBytes?: number;
  /** @default 64 */
  readonly maxInflightMsgs?: number;
  /** Take a state-machine snapshot and compact the log every this many applied entries; 0 disables. @default 10000 */
  readonly snapshotThresholdEntries?: number;
  /** Entries kept below a snapshot for slightly lagging followers. @default 1000 */
  readonly snapshotTrailingEntries?: number;
  /** A proposal not applied within this time rejects with CommitStatusUnknownError. @default 20 election timeouts */
  readonly proposalTimeoutMs?: number;
  /** A read barrier or leadership transfer not done within this time rejects with RaftTimeoutError. @default 4 election timeouts */
  readonly operationTimeoutMs?: number;
  /**
   * A ReadIndex request not answered within this time is sent again (to the leader known
   * then), until `operationTimeoutMs`. @default half an election timeout
   */
  readonly readResendMs?: number;
  /** Seed of the election-timeout PRNG. @default derived from the id and the clock */
  readonly seed?: number;
}

/** A snapshot of a server's state for status pages and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly conf: ConfState;
}

/** Callback form of a completion: exactly one of error/result is meaningful. */
export type Completion<T> = (error: RaftError | null, result?: T) => void;
