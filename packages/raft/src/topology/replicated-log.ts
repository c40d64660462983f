import type { TopologyCommand, TopologyCommandResult } from './topology-command.js';

/** A replica's role as reported by {@link ReplicatedLog.onRoleChange}. */
export interface RoleChange {
  /** True when this replica became leader. */
  readonly leader: boolean;
  /** The Raft term of the change. */
  readonly term: number;
}

/**
 * The small slice of a Raft server the topology module needs: one replica's
 * handle. The replica applies committed commands, in log order, to its own
 * {@link TopologyStateMachine}.
 *
 * Implementations: {@link InMemoryReplicatedLog} (one replica),
 * {@link VirtualRaftGroup} (a model of a Raft group with failover, for tests
 * and simulation) and {@link RaftServerLog} (the real `RaftServer`).
 */
export interface ReplicatedLog {
  /**
   * Appends a command and resolves with the state machine's result once this
   * replica applied it. Rejects with {@link ReplicatedLogError} (`not_leader`,
   * `dropped`, `status_unknown`, `stopped`, `timeout`).
   */
  propose(command: TopologyCommand): Promise<TopologyCommandResult>;
  /** Resolves once this replica applied every command committed before the call (linearizable read point). */
  readBarrier(): Promise<void>;
  /** Whether this replica currently believes it is the leader. */
  isLeader(): boolean;
  /** The current Raft term as known by this replica. */
  term(): number;
  /** Subscribes to role changes of this replica; returns the unsubscribe function. */
  onRoleChange(listener: (change: RoleChange) => void): () => void;
}
