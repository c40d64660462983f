import type { Clock } from '@scylla-cp/core';
import type { CoordinatorEvent, InitialNode, StreamRangesCommand } from '@scylla-cp/raft';

/**
 * Does one node's streaming for a topology operation on the simulation's clock: resolves when
 * done, rejects when it failed. `signal` aborts when the node's process dies or the group stops.
 */
export type RaftSimStream = (cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal) => Promise<void>;

/** Options of `RaftSimGroup`. Times in milliseconds. */
export interface RaftSimGroupOptions {
  /** Founding members: normal nodes of the topology, each with a Raft server. */
  readonly nodes: readonly InitialNode[];
  /** Founding members that vote (the others are learners, without a coordinator). @default every founding node */
  readonly voters?: readonly string[];
  /** Voters the group keeps as nodes leave and join (see `RaftSimGroup`). @default the number of {@link voters} */
  readonly voterCount?: number;
  /** The simulation's clock: the servers run on it (see `RaftSimClock`). */
  readonly clock: Clock;
  /** Seed of election timeouts and of what a crash loses of unsynced writes. @default 1 */
  readonly seed?: number;
  /** Streaming of topology operations. @default a sleep of {@link streamDelayMs} of Raft time */
  readonly stream?: RaftSimStream;
  /** Streaming time without {@link stream}. @default 20 */
  readonly streamDelayMs?: number;
  /** Raft tick. @default 10 */
  readonly tickMs?: number;
  /** Election timeout in ticks (randomized up to twice this). @default 10 */
  readonly electionTicks?: number;
  /** The coordinator's timeout of barrier and shutdown calls. @default 200 */
  readonly rpcTimeoutMs?: number;
  /** Receives every coordinator event. @default none */
  readonly onCoordinatorEvent?: (nodeId: string, event: CoordinatorEvent) => void;
}
