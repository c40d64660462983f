import type { TopologyTestingKnobs } from './topology-testing-knobs.js';
import type { FencingGuard } from './fencing-guard.js';
import type { ReplicatedLog } from './replicated-log.js';
import { StaleStreamError, StaleTermError, TopologyStoppedError } from './topology-errors.js';
import { StreamSessionRegistry, staleStreamReason } from './stream-session-registry.js';
import type { TopologyStateMachine } from './topology-state-machine.js';
import type { RequestKind } from './topology-types.js';

/** Header of every command a coordinator sends to a node. */
export interface AgentCommand {
  /** The coordinator's Raft term. */
  readonly term: number;
  /** Increases with every command the coordinator sends in its term. */
  readonly index: number;
  /** The node the coordinator runs on. */
  readonly coordinatorId: string;
}

/** What a node reports after a barrier. */
export interface AgentBarrierReply {
  /** The topology version the node has applied. */
  readonly version: number;
}

/** Parameters of a streaming command. */
export interface StreamRangesCommand extends AgentCommand {
  readonly requestId: string;
  readonly kind: RequestKind;
  /** The node whose ranges move (joining, leaving, removed, rebuilt). */
  readonly nodeId: string;
  /**
   * Streaming session id from the topology state when the coordinator decided to stream.
   * The agent refuses a command whose session is not current, and discards the result of a
   * stream whose session ended meanwhile ({@link StaleStreamError}).
   */
  readonly session: number;
  /** `rebuild`: the datacenter to stream from. */
  readonly sourceDc?: string;
}

/** Parameters of a cleanup command (global `cleanup` request). */
export interface CleanupCommand extends AgentCommand {
  /** The global request being run. */
  readonly requestId: string;
}

/**
 * The node side of the topology coordinator: what the coordinator asks a node
 * to do. Implementations reject a command from a coordinator whose term is
 * older than one they have seen with {@link StaleTermError}.
 */
export interface TopologyNodeAgent {
  /** Catch up with the topology log (a read barrier) and report the applied version. */
  barrier(cmd: AgentCommand): Promise<AgentBarrierReply>;
  /** Barrier, then wait until no data request routed with an older version is in flight. */
  barrierAndDrain(cmd: AgentCommand): Promise<AgentBarrierReply>;
  /** Move the ranges of an operation (idempotent: a new coordinator may resend it). */
  streamRanges(cmd: StreamRangesCommand): Promise<void>;
  /** The node left the ring: shut down. */
  shutdown(cmd: AgentCommand): Promise<void>;
  /**
   * Drop the data of ranges this node no longer owns (a global `cleanup` request). Optional
   * for compatibility: the coordinator fails the node's cleanup when an agent lacks it.
   */
  cleanup?(cmd: CleanupCommand): Promise<void>;
}

/** Options of {@link LocalNodeAgent}. */
export interface LocalNodeAgentOptions {
  /** This node's id. */
  readonly nodeId: string;
  /** This node's replica of the topology log (read barriers and the current term). */
  readonly log: ReplicatedLog;
  /** This node's topology state machine (the log applies into it). */
  readonly stateMachine: TopologyStateMachine;
  /** This node's data-path fencing; kept up to date from the state machine. */
  readonly fencing: FencingGuard;
  /**
   * Does the streaming. `signal` aborts when a stream of a newer session starts on this node
   * or the agent stops (a stream that ignores it still cannot complete the newer operation).
   * @default resolves at once
   */
  readonly streamRanges?: (cmd: StreamRangesCommand, signal: AbortSignal) => Promise<void>;
  /** Does a cleanup (drops data of ranges no longer owned). @default resolves at once */
  readonly cleanup?: (cmd: CleanupCommand) => Promise<void>;
  /** Called on a shutdown command. @default nothing */
  readonly onShutdown?: () => void;
  /** Called when a command passed the term checks and is about to take effect (tests, tracing). @default nothing */
  readonly onExecute?: (what: string, cmd: AgentCommand) => void;
  /** Deliberate defects for mutation tests. @default none */
  readonly testingKnobs?: TopologyTestingKnobs;
}

/**
 * A {@link TopologyNodeAgent} for a node that runs a replica of the topology
 * log in-process: barriers are read barriers on that replica, draining waits
 * on the node's {@link FencingGuard}, and stale terms are refused (a command's
 * term below the replica's term or the highest term seen, or a command index
 * not above the last one in the same term).
 */
export class LocalNodeAgent implements TopologyNodeAgent {
  readonly #o: LocalNodeAgentOptions;
  #term = 0;
  #lastIndex = 0;
  #stopped = false;
  readonly #unsubscribe: () => void;
  readonly #streams = new StreamSessionRegistry();

  constructor(options: LocalNodeAgentOptions) {
    this.#o = options;
    const sync = (): void => options.fencing.update(options.stateMachine.state.version, options.stateMachine.state.fenceVersion);
    sync();
    this.#unsubscribe = options.stateMachine.onApply(sync);
  }

  /** Highest coordinator term this agent accepted a command from. */
  get acceptedTerm(): number {
    return this.#term;
  }

  /** Stops the agent: every later command is refused. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    this.#streams.abortAll(new TopologyStoppedError(`node ${this.#o.nodeId} agent stopped`));
  }

  #admit(cmd: AgentCommand, what: string): void {
    if (this.#stopped) throw new TopologyStoppedError(`node ${this.#o.nodeId} agent is stopped; ${what} refused`);
    const known = Math.max(this.#term, this.#o.log.term());
    if (this.#o.testingKnobs?.skipStaleTermCheck) return; // mutation test only
    if (cmd.term < known) {
      throw new StaleTermError(
        `node ${this.#o.nodeId} refused ${what} from ${cmd.coordinatorId}: term ${cmd.term} is older than term ${known}`,
        { nodeId: this.#o.nodeId, term: cmd.term, knownTerm: known },
      );
    }
    if (cmd.term === this.#term && cmd.index <= this.#lastIndex) {
      throw new StaleTermError(
        `node ${this.#o.nodeId} refused ${what} from ${cmd.coordinatorId}: command ${cmd.index} is not newer than ${this.#lastIndex} in term ${cmd.term}`,
        { nodeId: this.#o.nodeId, term: cmd.term, index: cmd.index, lastIndex: this.#lastIndex },
      );
    }
    if (cmd.term > this.#term) this.#term = cmd.term;
    this.#lastIndex = cmd.index;
  }

  async #sync(cmd: AgentCommand, what: string): Promise<number> {
    this.#admit(cmd, what);
    await this.#o.log.readBarrier();
    const known = this.#o.log.term();
    if (cmd.term < known && !this.#o.testingKnobs?.skipStaleTermCheck) {
      throw new StaleTermError(`node ${this.#o.nodeId} refused ${what}: term ${cmd.term} is older than term ${known} after the barrier`, {
        nodeId: this.#o.nodeId,
        term: cmd.term,
        knownTerm: known,
      });
    }
    this.#o.onExecute?.(what, cmd);
    const s = this.#o.stateMachine.state;
    this.#o.fencing.update(s.version, s.fenceVersion);
    return s.version;
  }

  async barrier(cmd: AgentCommand): Promise<AgentBarrierReply> {
    return { version: await this.#sync(cmd, 'barrier') };
  }

  async barrierAndDrain(cmd: AgentCommand): Promise<AgentBarrierReply> {
    const version = await this.#sync(cmd, 'barrier_and_drain');
    await this.#o.fencing.drain(version);
    return { version };
  }

  /**
   * Streams after a read barrier, only for the current streaming session (see
   * {@link StreamRangesCommand.session}); a resend of the running stream joins it, and a
   * stream whose session ended while it ran fails with {@link StaleStreamError}.
   */
  async streamRanges(cmd: StreamRangesCommand): Promise<void> {
    this.#admit(cmd, 'stream_ranges');
    await this.#o.log.readBarrier();
    const stale = (when: string): void => {
      const reason = this.#o.testingKnobs?.skipStreamSessionCheck ? undefined : staleStreamReason(this.#o.stateMachine.state, cmd);
      if (reason === undefined) return;
      throw new StaleStreamError(`node ${this.#o.nodeId} ${when} stream_ranges for ${cmd.requestId} from ${cmd.coordinatorId}: ${reason}`, {
        nodeId: this.#o.nodeId,
        requestId: cmd.requestId,
        session: cmd.session,
        currentSession: this.#o.stateMachine.state.session,
      });
    };
    stale('refused');
    this.#o.onExecute?.('stream_ranges', cmd);
    const stream = this.#o.streamRanges;
    await this.#streams.run(cmd, (signal) => (stream ? stream(cmd, signal) : Promise.resolve()));
    stale('discarded the result of');
  }

  /** Cleans up after a read barrier (the coordinator marked this node's cleanup `running`). */
  async cleanup(cmd: CleanupCommand): Promise<void> {
    await this.#sync(cmd, 'cleanup');
    if (this.#o.cleanup) await this.#o.cleanup(cmd);
  }

  async shutdown(cmd: AgentCommand): Promise<void> {
    this.#admit(cmd, 'shutdown');
    this.#o.onExecute?.('shutdown', cmd);
    this.#o.onShutdown?.();
  }
}
