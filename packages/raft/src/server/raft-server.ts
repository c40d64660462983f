import { allMembers } from '../core/confchange.js';
import type { ConfChangeStep, ConfState, Entry, NodeId } from '../core/messages.js';
import { bootstrapState, RaftCore, type RaftCoreOptions } from '../core/raft-core.js';
import { canSendBeforePersist, type Ready, type Role } from '../core/ready.js';
import {
  CommitStatusUnknownError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
  RaftTimeoutError,
  StoppedError,
} from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import { SystemClock, type Clock, type TimerHandle } from './clock.js';
import { TypedEmitter, type RaftServerEvents } from './events.js';
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
  /** @default true */
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

interface PendingProposal {
  readonly term: number;
  readonly deadline: number;
  readonly done: Completion<unknown>;
  readonly conf: boolean;
}

interface PendingRead {
  readIndex: number;
  /** When the ReadIndex request was last sent (resent while unanswered). */
  sentAt: number;
  readonly deadline: number;
  readonly done: Completion<number>;
}

/**
 * The I/O shell around {@link RaftCore}: ticks it with a {@link Clock}, feeds it messages from
 * a {@link Transport}, persists to a {@link Storage}, applies committed commands to a
 * {@link StateMachine}, and resolves proposals with the state machine's results.
 *
 * Proposals on a follower are rejected with {@link NotLeaderError} carrying the leader
 * hint (no forwarding): the caller knows exactly where its command went. Reads
 * ({@link readBarrier}) work on any member: a follower forwards the ReadIndex request.
 * Proposals made in the same event-loop turn are batched into one append and one fsync.
 */
export class RaftServer<R = unknown> {
  readonly id: NodeId;
  private readonly events = new TypedEmitter<RaftServerEvents>();
  private readonly clock: Clock;
  private readonly tickIntervalMs: number;
  private readonly proposalTimeoutMs: number;
  private readonly operationTimeoutMs: number;
  private readonly readResendMs: number;
  private readonly snapshotThreshold: number;
  private readonly snapshotTrailing: number;
  private core: RaftCore | null = null;
  private running = false;
  private stopped = false;
  private scheduled = false;
  private tickTimer: TimerHandle | null = null;
  private appliedIndex = 0;
  private snapshotIndex = 0;
  private readCounter = 0;
  private incarnation = '';
  private readonly proposals = new Map<number, PendingProposal>();
  private buffered: { data: Uint8Array; done: Completion<unknown> }[] = [];
  private readonly reads = new Map<string, PendingRead>();
  private awaitingLeave: Completion<unknown>[] = [];
  private transfers: { target: NodeId; deadline: number; done: Completion<void> }[] = [];
  private role: Role = 'follower';
  private leader: NodeId | null = null;

  constructor(private readonly options: RaftServerOptions<R>) {
    this.id = options.id;
    this.clock = options.clock ?? new SystemClock();
    this.tickIntervalMs = options.tickIntervalMs ?? 100;
    const electionMs = (options.electionTicks ?? 10) * this.tickIntervalMs;
    this.proposalTimeoutMs = options.proposalTimeoutMs ?? 20 * electionMs;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 4 * electionMs;
    this.readResendMs = options.readResendMs ?? Math.max(this.tickIntervalMs, electionMs / 2);
    this.snapshotThreshold = options.snapshotThresholdEntries ?? 10000;
    this.snapshotTrailing = options.snapshotTrailingEntries ?? 1000;
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
    this.core = new RaftCore(coreOptions, {
      hardState: state.hardState,
      snapshot: state.snapshot,
      offset: state.offset,
      offsetTerm: state.offsetTerm,
      entries: state.entries,
    });
    if (state.snapshot && state.snapshot.index > 0) o.stateMachine.restore(state.snapshot.data);
    this.incarnation = hashSeed(`${o.id}/${coreOptions.seed}`, this.clock.now()).toString(36);
    this.appliedIndex = this.core.log.applied;
    this.snapshotIndex = state.snapshot?.index ?? 0;
    this.running = true;
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
      appliedIndex: this.appliedIndex,
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
   * applied), CommitStatusUnknownError (maybe applied) or StoppedError.
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
    this.buffered.push({ data: command, done: done as Completion<unknown> });
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
    const c = this.requireCore();
    // The incarnation tag keeps an answer to a read of an earlier run of this member (it
    // crashed and restarted before the answer arrived) from resolving a new read.
    const ctx = `${this.id}.${this.incarnation}#${++this.readCounter}`;
    try {
      c.readIndex(ctx);
    } catch (e) {
      return done(e as RaftError);
    }
    this.reads.set(ctx, { readIndex: -1, sentAt: this.clock.now(), deadline: this.clock.now() + this.operationTimeoutMs, done });
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
    this.proposals.set(pos.index, { term: pos.term, deadline: this.clock.now() + this.proposalTimeoutMs, done: done as Completion<unknown>, conf: true });
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
    let t = target;
    if (t === undefined) {
      let best = -1;
      const conf = c.confState();
      for (const id of new Set([...conf.voters, ...conf.votersOutgoing])) {
        if (id === this.id) continue;
        const m = c.progressOf(id)?.match ?? 0;
        if (m > best) {
          best = m;
          t = id;
        }
      }
      if (t === undefined) return done(new RaftTimeoutError('transferLeadership: there is no other voter to hand leadership to'));
    }
    if (c.leader === t) return done(null);
    try {
      c.transferLeadership(t);
    } catch (e) {
      return done(e as RaftError);
    }
    this.transfers.push({ target: t, deadline: this.clock.now() + this.operationTimeoutMs, done });
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
      if (this.running) this.process();
    }, 0);
  }

  private flushProposals(c: RaftCore): void {
    if (this.buffered.length === 0) return;
    const batch = this.buffered;
    this.buffered = [];
    let pos;
    try {
      pos = c.propose(batch.map((b) => b.data));
    } catch (e) {
      for (const b of batch) b.done(e as RaftError);
      return;
    }
    const deadline = this.clock.now() + this.proposalTimeoutMs;
    batch.forEach((b, i) => this.proposals.set(pos.index + i, { term: pos.term, deadline, done: b.done, conf: false }));
  }

  /**
   * Drains the core: persist, send, apply, advance; repeated until nothing is left. With
   * a storage offering `saveAsync`, the loop pauses while a write syncs: messages keep
   * being stepped into the core and proposals keep being gathered for the next Ready.
   */
  private process(): void {
    if (this.persisting) return;
    const c = this.requireCore();
    this.flushProposals(c);
    for (let guard = 0; guard < 1000 && this.running && c.hasReady(); guard++) {
      const rd = c.ready();
      const early = c.currentRole === 'leader' && rd.entries.length > 0;
      // Committed entries that are already durable here can be applied before this
      // Ready's write completes (they do not depend on it); others wait for it.
      const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
      const applyFirst = rd.snapshot === null && lastCommitted !== undefined && lastCommitted.index <= c.log.stabled;
      if (applyFirst) this.applyReady(c, rd);
      // 0. a leader ships replication messages first so its fsync overlaps the followers'
      if (early) for (const m of rd.messages) if (canSendBeforePersist(m.type)) this.options.transport.send(m);
      // 1. persist
      if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
        const update = {
          ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
          ...(rd.entries.length > 0 ? { entries: rd.entries } : {}),
          ...(rd.hardState ? { hardState: rd.hardState } : {}),
        };
        const storage = this.options.storage;
        if (storage.saveAsync && rd.snapshot === null) {
          this.persisting = true;
          storage.saveAsync(update, (err) => {
            this.persisting = false;
            if (!this.running) return;
            if (err) {
              this.stop();
              throw new RaftError(`storage write failed on ${this.id}; the server stopped: ${err.message}`);
            }
            this.finishReady(c, rd, early, applyFirst);
            this.process();
          });
          return;
        }
        storage.save(update);
      }
      this.finishReady(c, rd, early, applyFirst);
    }
  }

  private persisting = false;
  /** The term seen in the last Ready (a change may depose this member's proposals). */
  private seenTerm = 0;

  private finishReady(c: RaftCore, rd: Ready, early: boolean, applied: boolean): void {
    // 2. send
    for (const m of rd.messages) if (!early || !canSendBeforePersist(m.type)) this.options.transport.send(m);
    // 3. apply
    if (!applied) this.applyReady(c, rd);
    if (rd.softState) this.onSoftState(c, rd.softState.role, rd.softState.leader);
    if (rd.softState || (rd.hardState && rd.hardState.term !== this.seenTerm)) {
      this.seenTerm = c.currentTerm;
      this.failLostProposals(c);
    }
    // 4. advance
    c.advance(rd);
    this.maybeSnapshot(c);
  }

  private applyReady(c: RaftCore, rd: Ready): void {
    const o = this.options;
    if (rd.snapshot) {
      o.stateMachine.restore(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.index;
      this.snapshotIndex = rd.snapshot.index;
      for (const [idx, p] of this.proposals) {
        if (idx <= rd.snapshot.index) {
          this.proposals.delete(idx);
          p.done(new CommitStatusUnknownError('a snapshot from the leader overtook the proposal; its outcome is unknown'));
        }
      }
      this.events.emit('membershipChange', { conf: c.confState(), index: rd.snapshot.index });
    }
    for (const e of rd.committedEntries) this.applyEntry(c, e);
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.context);
      if (r) r.readIndex = rs.index;
    }
    if (rd.snapshot || rd.committedEntries.length > 0) this.events.emit('applied', { index: this.appliedIndex });
    this.releaseReads();
  }

  private applyEntry(c: RaftCore, e: Entry): void {
    let result: unknown;
    let error: RaftError | null = null;
    if (e.type === 'normal' && e.data.length > 0) {
      try {
        result = this.options.stateMachine.apply(e.data, e.index);
      } catch (err) {
        error = new RaftError(`state machine apply failed at index ${e.index}: ${(err as Error).message}`);
      }
    }
    this.appliedIndex = e.index;
    if (e.type === 'conf') {
      this.events.emit('membershipChange', { conf: c.confState(), index: e.index });
      if (c.confState().votersOutgoing.length === 0 && this.awaitingLeave.length > 0) {
        const w = this.awaitingLeave;
        this.awaitingLeave = [];
        for (const d of w) d(null);
      }
    }
    const p = this.proposals.get(e.index);
    if (!p) return;
    this.proposals.delete(e.index);
    if (p.term !== e.term) return p.done(new ProposalDroppedError());
    if (error) return p.done(error);
    if (p.conf && c.confState().votersOutgoing.length > 0) this.awaitingLeave.push(p.done);
    else p.done(null, result);
  }

  /**
   * A leader that stepped down (check-quorum, a higher term, removal) answers at once every
   * proposal it appended but does not know committed: the outcome is unknown (a later leader
   * may still commit the entry), and waiting for the proposal timeout would only make the
   * caller wait. Proposals already known committed stay: they are applied here soon.
   */
  private failLostProposals(c: RaftCore): void {
    const leader = c.currentRole === 'leader';
    for (const [idx, p] of this.proposals) {
      if (idx <= c.log.committed || (leader && p.term === c.currentTerm)) continue;
      this.proposals.delete(idx);
      p.done(
        new CommitStatusUnknownError(
          `member ${this.id} lost the leadership of term ${p.term} before index ${idx} was known to be committed; it may still be applied`,
        ),
      );
    }
  }

  private releaseReads(): void {
    for (const [ctx, r] of this.reads) {
      if (r.readIndex >= 0 && r.readIndex <= this.appliedIndex) {
        this.reads.delete(ctx);
        r.done(null, this.appliedIndex);
      }
    }
  }

  private onSoftState(c: RaftCore, role: Role, leader: NodeId | null): void {
    const roleChanged = role !== this.role;
    const leaderChanged = leader !== this.leader;
    this.role = role;
    this.leader = leader;
    // ReadIndex requests not yet answered are lost with the leadership they were sent to.
    for (const [ctx, r] of this.reads) {
      if (r.readIndex < 0) {
        this.reads.delete(ctx);
        r.done(new NotLeaderError(leader, `member ${this.id} (leadership changed during the read)`));
      }
    }
    if (role !== 'leader' && this.buffered.length > 0) {
      const b = this.buffered;
      this.buffered = [];
      for (const x of b) x.done(new NotLeaderError(leader, `member ${this.id}`));
    }
    if (leaderChanged) {
      const t = this.transfers;
      this.transfers = [];
      for (const x of t) {
        if (x.target === leader) x.done(null);
        else this.transfers.push(x);
      }
    }
    if (roleChanged) this.events.emit('roleChange', { role, term: c.currentTerm });
    if (leaderChanged) this.events.emit('leaderChange', { leader, term: c.currentTerm });
  }

  private maybeSnapshot(c: RaftCore): void {
    if (this.snapshotThreshold <= 0) return;
    if (this.appliedIndex - this.snapshotIndex < this.snapshotThreshold) return;
    if (c.log.pendingSnapshot) return;
    const index = this.appliedIndex;
    const data = this.options.stateMachine.snapshot();
    const compactIndex = Math.max(c.log.offset, index - this.snapshotTrailing);
    const compactTerm = c.log.term(compactIndex) as number;
    const snap = c.compact(index, data, compactIndex);
    this.options.storage.saveSnapshot(snap, compactIndex, compactTerm);
    this.snapshotIndex = index;
  }

  private sweepTimeouts(): void {
    const now = this.clock.now();
    for (const [idx, p] of this.proposals) {
      if (p.deadline > now) continue;
      this.proposals.delete(idx);
      p.done(new CommitStatusUnknownError(`proposal at index ${idx} was not applied within ${this.proposalTimeoutMs} ms; it may still be applied`));
    }
    for (const [ctx, r] of this.reads) {
      if (r.deadline <= now) {
        this.reads.delete(ctx);
        r.done(new RaftTimeoutError(`read barrier on ${this.id} did not complete within ${this.operationTimeoutMs} ms; retry`));
      } else if (r.readIndex < 0 && now - r.sentAt >= this.readResendMs) {
        // The request or its answer may have been lost (a cut link): ask again. Answers
        // carry the same context, so a late first answer is as good as the second.
        r.sentAt = now;
        try {
          this.core?.readIndex(ctx);
        } catch {
          /* no leader known right now; the next sweep tries again */
        }
      }
    }
    if (this.transfers.length > 0) {
      const t = this.transfers;
      this.transfers = [];
      for (const x of t) {
        if (x.deadline > now) this.transfers.push(x);
        else x.done(new RaftTimeoutError(`leadership transfer to ${x.target} did not complete within ${this.operationTimeoutMs} ms`));
      }
    }
  }

  private failAll(mk: () => RaftError): void {
    const b = this.buffered;
    this.buffered = [];
    for (const x of b) x.done(mk());
    const ps = [...this.proposals.values()];
    this.proposals.clear();
    for (const p of ps) p.done(mk());
    const rs = [...this.reads.values()];
    this.reads.clear();
    for (const r of rs) r.done(mk());
    const al = this.awaitingLeave;
    this.awaitingLeave = [];
    for (const d of al) d(mk());
    const t = this.transfers;
    this.transfers = [];
    for (const x of t) x.done(mk());
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
