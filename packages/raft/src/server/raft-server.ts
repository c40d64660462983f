import { allMembers } from '../core/confchange.js';
import type { ConfChangeStep, ConfState, NodeId } from '../core/messages.js';
import { bootstrapState, RaftCore, type RaftCoreOptions } from '../core/raft-core.js';
import type { Role } from '../core/ready.js';
import { NotLeaderError, RaftError, RaftTimeoutError, StoppedError } from '../errors.js';
import { SystemClock, type Clock, type TimerHandle } from './clock.js';
import { TypedEmitter, type RaftServerEvents } from './events.js';
import { LeadershipTransfers } from './leadership-transfers.js';
import { ProposalTracker } from './proposal-tracker.js';
import type { Completion, RaftServerOptions, RaftStatus } from './raft-server-options.js';
import { ReadTracker } from './read-tracker.js';
import { ReadyPipeline } from './ready-pipeline.js';

export type { Completion, RaftServerOptions, RaftStatus } from './raft-server-options.js';

/**
 * The I/O shell around {@link RaftCore}: ticks it with a {@link Clock}, feeds it messages from
 * a {@link Transport}, persists to a {@link Storage}, applies committed commands to a
 * {@link StateMachine}, and resolves proposals with the state machine's results.
 *
 * Proposals on a follower are rejected with {@link NotLeaderError} carrying the leader
 * hint (no forwarding): the caller knows exactly where its command went. Reads
 * ({@link readBarrier}) work on any member: a follower forwards the ReadIndex request.
 * Proposals made in the same event-loop turn are batched into one append and one fsync.
 * A leader that loses its leadership (check-quorum, a higher term) answers its pending
 * proposals and reads at once. The parts: {@link ProposalTracker}, {@link ReadTracker},
 * {@link LeadershipTransfers} and the storage/apply {@link ReadyPipeline}.
 */
export class RaftServer<R = unknown> {
  readonly id: NodeId;
  private readonly events = new TypedEmitter<RaftServerEvents>();
  private readonly clock: Clock;
  private readonly tickIntervalMs: number;
  private readonly proposals: ProposalTracker;
  private readonly reads: ReadTracker;
  private readonly transfers: LeadershipTransfers;
  private core: RaftCore | null = null;
  private pipeline: ReadyPipeline | null = null;
  private running = false;
  private stopped = false;
  private scheduled = false;
  private tickTimer: TimerHandle | null = null;
  private role: Role = 'follower';
  private leader: NodeId | null = null;

  constructor(private readonly options: RaftServerOptions<R>) {
    this.id = options.id;
    this.clock = options.clock ?? new SystemClock();
    this.tickIntervalMs = options.tickIntervalMs ?? 100;
    const electionMs = (options.electionTicks ?? 10) * this.tickIntervalMs;
    const operationTimeoutMs = options.operationTimeoutMs ?? 4 * electionMs;
    this.proposals = new ProposalTracker(this.id, options.proposalTimeoutMs ?? 20 * electionMs);
    this.reads = new ReadTracker(this.id, operationTimeoutMs, options.readResendMs ?? Math.max(this.tickIntervalMs, electionMs / 2));
    this.transfers = new LeadershipTransfers(operationTimeoutMs);
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends keyof RaftServerEvents>(event: K, listener: (payload: RaftServerEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Loads storage, restores the state machine and starts ticking and receiving. */
  start(): void {
    if (this.running || this.stopped) throw new StoppedError('RaftServer.start: already started or stopped; create a new server');
    const o = this.options;
    let state = o.storage.load();
    if (state.hardState.term === 0 && !state.snapshot && state.entries.length === 0 && o.bootstrap) {
      const boot = bootstrapState(o.bootstrap.voters, o.bootstrap.learners ?? []);
      o.storage.save({ entries: boot.entries, hardState: boot.hardState });
      state = o.storage.load();
    }
    const coreOptions: RaftCoreOptions = {
      id: o.id,
      seed: o.seed ?? hashSeed(o.id, this.clock.now()),
      ...(o.electionTicks !== undefined ? { electionTicks: o.electionTicks } : {}),
      ...(o.heartbeatTicks !== undefined ? { heartbeatTicks: o.heartbeatTicks } : {}),
      ...(o.preVote !== undefined ? { preVote: o.preVote } : {}),
      ...(o.checkQuorum !== undefined ? { checkQuorum: o.checkQuorum } : {}),
      ...(o.maxSizePerMsgBytes !== undefined ? { maxSizePerMsgBytes: o.maxSizePerMsgBytes } : {}),
      ...(o.maxInflightMsgs !== undefined ? { maxInflightMsgs: o.maxInflightMsgs } : {}),
    };
    const core = new RaftCore(coreOptions, {
      hardState: state.hardState,
      snapshot: state.snapshot,
      offset: state.offset,
      offsetTerm: state.offsetTerm,
      entries: state.entries,
    });
    this.core = core;
    if (state.snapshot && state.snapshot.index > 0) o.stateMachine.restore(state.snapshot.data);
    this.reads.setIncarnation(hashSeed(`${o.id}/${coreOptions.seed}`, this.clock.now()).toString(36));
    const threshold = o.snapshotThresholdEntries ?? 10000;
    this.pipeline = new ReadyPipeline({
      id: this.id,
      core,
      storage: o.storage,
      transport: o.transport,
      stateMachine: o.stateMachine,
      events: this.events,
      proposals: this.proposals,
      reads: this.reads,
      snapshotThresholdEntries: threshold,
      snapshotTrailingEntries: o.snapshotTrailingEntries ?? 1000,
      snapshotIndex: state.snapshot?.index ?? 0,
      isRunning: () => this.running,
      now: () => this.clock.now(),
      onSoftState: (role, leader) => this.onSoftState(role, leader),
      onStorageFailure: () => this.stop(),
    });
    this.running = true;
    // transport glue: every message goes into the core; the Ready is drained on the next turn
    o.transport.start((m) => {
      if (!this.running || !this.core) return;
      this.core.step(m);
      this.schedule();
    });
    const loop = (): void => {
      if (!this.running) return;
      this.core?.tick();
      this.sweepTimeouts();
      this.schedule();
      this.tickTimer = this.clock.setTimeout(loop, this.tickIntervalMs);
    };
    this.tickTimer = this.clock.setTimeout(loop, this.tickIntervalMs);
    this.schedule();
  }

  /** Stops ticking and receiving; every pending operation rejects with StoppedError. Closes transport and storage. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const wasRunning = this.running;
    this.running = false;
    this.tickTimer?.cancel();
    this.failAll(() => new StoppedError());
    if (wasRunning) {
      this.options.transport.close();
      this.options.storage.close();
    }
  }

  /** Current role, term, leader and indexes. */
  status(): RaftStatus {
    const c = this.requireCore();
    return {
      id: this.id,
      role: c.currentRole,
      term: c.currentTerm,
      leader: c.leader,
      commitIndex: c.log.committed,
      appliedIndex: this.pipeline?.applied ?? 0,
      lastIndex: c.log.lastIndex(),
      conf: c.confState(),
    };
  }

  /** True between start() and stop(). */
  isRunning(): boolean {
    return this.running;
  }

  /** True when this member is the leader (and not handing leadership over). */
  isLeader(): boolean {
    return this.core !== null && this.core.currentRole === 'leader' && this.core.transferee === null;
  }

  /** The consensus core (read-only use: tests, checkers). */
  get raft(): RaftCore {
    return this.requireCore();
  }

  /**
   * Replicates `command` and resolves with the state machine's result once applied here.
   * Rejects with NotLeaderError (leader hint; not applied), ProposalDroppedError (not
   * applied), CommitStatusUnknownError (maybe applied: at once when this member loses the
   * leadership before the entry is known committed, else after `proposalTimeoutMs`) or
   * StoppedError.
   */
  propose(command: Uint8Array): Promise<R> {
    return new Promise<R>((resolve, reject) => this.proposeWith(command, (err, res) => (err ? reject(err) : resolve(res as R))));
  }

  /** Callback form of {@link propose} (no promise hop; used by the simulator). */
  proposeWith(command: Uint8Array, done: Completion<R>): void {
    if (!this.running) return done(new StoppedError());
    if (command.length === 0) throw new RangeError('RaftServer.propose: an empty command is reserved for the leader no-op');
    const c = this.requireCore();
    if (c.currentRole !== 'leader' || c.transferee !== null) return done(new NotLeaderError(c.transferee ?? c.leader, `member ${this.id}`));
    this.proposals.buffer(command, done as Completion<unknown>);
    this.schedule();
  }

  /**
   * Linearizable read barrier: resolves with an applied index such that the local state
   * machine reflects every write acknowledged before the call. Works on followers too.
   */
  readBarrier(): Promise<number> {
    return new Promise((resolve, reject) => this.readBarrierWith((err, idx) => (err ? reject(err) : resolve(idx as number))));
  }

  /** Callback form of {@link readBarrier}. */
  readBarrierWith(done: Completion<number>): void {
    if (!this.running) return done(new StoppedError());
    this.reads.start(this.requireCore(), this.clock.now(), done);
    this.schedule();
  }

  /**
   * Changes membership (leader only; one change at a time). Resolves once the change is
   * committed and joint consensus, if entered, has been left.
   */
  changeMembership(steps: readonly ConfChangeStep[]): Promise<void> {
    return new Promise((resolve, reject) => this.changeMembershipWith(steps, (err) => (err ? reject(err) : resolve())));
  }

  /** Callback form of {@link changeMembership}. */
  changeMembershipWith(steps: readonly ConfChangeStep[], done: Completion<void>): void {
    if (!this.running) return done(new StoppedError());
    const c = this.requireCore();
    let pos;
    try {
      pos = c.proposeConfChange({ steps: steps.slice() });
    } catch (e) {
      if (e instanceof RaftError) return done(e);
      throw e;
    }
    this.proposals.trackConfChange(pos, this.clock.now(), done as Completion<unknown>);
    this.schedule();
  }

  /** Adds a voter (or promotes a learner). */
  addVoter(id: NodeId): Promise<void> {
    return this.changeMembership([{ type: 'addVoter', node: id }]);
  }

  /** Adds a non-voting member that receives the log. */
  addLearner(id: NodeId): Promise<void> {
    return this.changeMembership([{ type: 'addLearner', node: id }]);
  }

  /** Removes a member (a removed leader steps down once the change commits). */
  removeMember(id: NodeId): Promise<void> {
    return this.changeMembership([{ type: 'remove', node: id }]);
  }

  /**
   * Hands leadership to `target` (default: the most up-to-date other voter). Resolves when
   * this member sees `target` as leader; rejects with RaftTimeoutError otherwise.
   */
  transferLeadership(target?: NodeId): Promise<void> {
    return new Promise((resolve, reject) => this.transferLeadershipWith(target, (err) => (err ? reject(err) : resolve())));
  }

  /** Callback form of {@link transferLeadership}. */
  transferLeadershipWith(target: NodeId | undefined, done: Completion<void>): void {
    if (!this.running) return done(new StoppedError());
    const c = this.requireCore();
    const t = target ?? LeadershipTransfers.pickTarget(c, this.id);
    if (t === undefined) return done(new RaftTimeoutError('transferLeadership: there is no other voter to hand leadership to'));
    if (c.leader === t) return done(null);
    try {
      c.transferLeadership(t);
    } catch (e) {
      return done(e as RaftError);
    }
    this.transfers.add(t, this.clock.now(), done);
    this.schedule();
  }

  /**
   * Starts an election now, as if the election timeout had run out (tests, simulators,
   * operator tools). Ignored by a leader and by non-voters; with PreVote on it starts with
   * a pre-vote round.
   */
  campaign(): void {
    if (!this.running) return;
    this.requireCore().campaign();
    this.schedule();
  }

  // ------------------------------------------------------------------ internals

  private requireCore(): RaftCore {
    if (!this.core) throw new StoppedError('RaftServer: call start() first');
    return this.core;
  }

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    this.clock.setTimeout(() => {
      this.scheduled = false;
      if (this.running) this.pipeline?.process();
    }, 0);
  }

  private onSoftState(role: Role, leader: NodeId | null): void {
    const c = this.requireCore();
    const roleChanged = role !== this.role;
    const leaderChanged = leader !== this.leader;
    this.role = role;
    this.leader = leader;
    this.reads.onLeadershipChange(leader);
    if (role !== 'leader') this.proposals.rejectBuffered(leader);
    if (leaderChanged) this.transfers.onLeader(leader);
    if (roleChanged) this.events.emit('roleChange', { role, term: c.currentTerm });
    if (leaderChanged) this.events.emit('leaderChange', { leader, term: c.currentTerm });
  }

  private sweepTimeouts(): void {
    const now = this.clock.now();
    this.proposals.sweep(now);
    this.reads.sweep(now, this.core);
    this.transfers.sweep(now);
  }

  private failAll(mk: () => RaftError): void {
    this.proposals.failAll(mk);
    this.reads.failAll(mk);
    this.transfers.failAll(mk);
  }
}


/** Members of a configuration (re-exported helper for tools). */
export function membersOf(conf: ConfState): NodeId[] {
  return allMembers(conf);
}

function hashSeed(id: string, now: number): number {
  let h = 0x811c9dc5 ^ Math.floor(now * 1000);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
