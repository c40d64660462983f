import {
  CommitStatusUnknownError,
  NotLeaderError,
  ProposalDroppedError,
  RaftTimeoutError,
  StoppedError,
} from '../errors.js';
import type { RaftServer } from '../server/raft-server.js';
import type { StateMachine } from '../server/state-machine.js';
import type { ReplicatedLog, RoleChange } from './replicated-log.js';
import type { TopologyCommand, TopologyCommandResult } from './topology-command.js';
import { ReplicatedLogError } from './topology-errors.js';
import type { TopologyStateMachine } from './topology-state-machine.js';
import type { TopologyState } from './topology-types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a topology command as a Raft log entry (UTF-8 JSON). */
export function encodeTopologyCommand(command: TopologyCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

/**
 * The {@link StateMachine} a `RaftServer` applies: decodes each entry (UTF-8
 * JSON) and applies it to a {@link TopologyStateMachine}; snapshots are the
 * topology state as UTF-8 JSON. An entry that is not valid JSON applies as a
 * rejected `invalid_command` without changing anything.
 */
export class TopologyRaftStateMachine implements StateMachine<TopologyCommandResult> {
  constructor(readonly topology: TopologyStateMachine) {}

  apply(command: Uint8Array): TopologyCommandResult {
    let parsed: TopologyCommand;
    try {
      parsed = JSON.parse(decoder.decode(command)) as TopologyCommand;
    } catch {
      const s = this.topology.state;
      return { ok: false, code: 'invalid_command', reason: 'log entry is not a JSON topology command', stateId: s.stateId, version: s.version };
    }
    return this.topology.apply(parsed);
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify(this.topology.snapshot()));
  }

  restore(data: Uint8Array): void {
    this.topology.restore(JSON.parse(decoder.decode(data)) as TopologyState);
  }
}

/**
 * The commands being forwarded right now: a fresh copy per forward (object identity, so
 * entries go away with the call). A member that receives one through `forward` and is
 * not the leader either answers `not_leader` instead of forwarding it on: a proposal is
 * forwarded at most once. Without this, two followers whose leader hints point at each
 * other (each kept a stale hint after an election) pass a proposal back and forth for
 * ever; with in-process forwarding that happens on the microtask queue, so no timer runs
 * again and memory grows until the process dies.
 */
const forwardedCommands = new WeakSet<TopologyCommand>();

/** Options of {@link RaftServerLog}. */
export interface RaftServerLogOptions {
  /**
   * Sends a proposal to the leader when this member is a follower (RaftServer
   * rejects proposals on followers with a leader hint); the receiving member
   * proposes it with its own {@link RaftServerLog.propose}, which does not forward
   * it again (a proposal is forwarded at most once; a receiver that is not the
   * leader answers `not_leader`). @default none: a follower's proposal fails with
   * `not_leader` and the leader hint
   */
  readonly forward?: (leaderId: string, command: TopologyCommand) => Promise<TopologyCommandResult>;
}

/** Maps a Raft error to a {@link ReplicatedLogError}; other values are returned unchanged. */
export function toReplicatedLogError(e: unknown): unknown {
  if (e instanceof NotLeaderError) {
    return new ReplicatedLogError('not_leader', e.message, { cause: e, ...(e.leader !== null ? { leaderHint: e.leader } : {}) });
  }
  if (e instanceof ProposalDroppedError) return new ReplicatedLogError('dropped', e.message, { cause: e });
  if (e instanceof CommitStatusUnknownError) return new ReplicatedLogError('status_unknown', e.message, { cause: e });
  if (e instanceof StoppedError) return new ReplicatedLogError('stopped', e.message, { cause: e });
  if (e instanceof RaftTimeoutError) return new ReplicatedLogError('timeout', e.message, { cause: e });
  return e;
}

/**
 * Adapts a started `RaftServer` whose state machine is a
 * {@link TopologyRaftStateMachine} to the {@link ReplicatedLog} the topology
 * coordinator, agents and clients use.
 */
export class RaftServerLog implements ReplicatedLog {
  readonly #server: RaftServer<TopologyCommandResult>;
  readonly #forward: RaftServerLogOptions['forward'];

  constructor(server: RaftServer<TopologyCommandResult>, options: RaftServerLogOptions = {}) {
    this.#server = server;
    this.#forward = options.forward;
  }

  async propose(command: TopologyCommand): Promise<TopologyCommandResult> {
    try {
      return await this.#server.propose(encodeTopologyCommand(command));
    } catch (e) {
      if (e instanceof NotLeaderError && e.leader !== null && e.leader !== this.#server.id && this.#forward && !forwardedCommands.has(command)) {
        const forwarded: TopologyCommand = { ...command };
        forwardedCommands.add(forwarded);
        return this.#forward(e.leader, forwarded);
      }
      throw toReplicatedLogError(e);
    }
  }

  async readBarrier(): Promise<void> {
    try {
      await this.#server.readBarrier();
    } catch (e) {
      throw toReplicatedLogError(e);
    }
  }

  isLeader(): boolean {
    return this.#server.isLeader();
  }

  term(): number {
    try {
      return this.#server.status().term;
    } catch {
      return 0;
    }
  }

  onRoleChange(listener: (change: RoleChange) => void): () => void {
    return this.#server.on('roleChange', (e) => listener({ leader: e.role === 'leader', term: e.term }));
  }
}
