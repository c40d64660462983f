import { ConfChangeInProgressError, InvalidConfChangeError, NotLeaderError } from '../errors.js';
import { RaftPrng } from '../raft-prng.js';
import { JointQuorum } from '../quorum/joint.js';
import { Progress } from '../tracker/progress.js';
import { allMembers, applyConfChange, isVoterIn } from './confchange.js';
import {
  EMPTY_BYTES,
  entrySizeBytes,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Snapshot,
} from './messages.js';
import { assert, RaftLog } from './raft-log.js';
import { readyIsEmpty, type ReadState, type Ready, type Role, type SoftState } from './ready.js';

/** Tunables of the consensus core. Times are in ticks (the shell decides how long a tick is). */
export interface RaftCoreOptions {
  /** This member's id. */
  readonly id: NodeId;
  /** Seed of the PRNG that randomizes election timeouts. */
  readonly seed: number;
  /** Base election timeout; the actual one is random in [electionTicks, 2*electionTicks). @default 10 */
  readonly electionTicks?: number;
  /** Heartbeat interval. @default 1 */
  readonly heartbeatTicks?: number;
  /** Run a pre-vote round before incrementing the term. @default true */
  readonly preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down; followers ignore votes while they have a leader. @default true */
  readonly checkQuorum?: boolean;
  /** Byte limit of entries in one append message (at least one entry is always sent). @default 1048576 */
  readonly maxSizePerMsgBytes?: number;
  /** Bound on append messages in flight per follower (pipelining). @default 64 */
  readonly maxInflightMsgs?: number;
  /** Bound on bytes in flight per follower; 0 disables. @default 0 */
  readonly maxInflightBytes?: number;
  /** Byte limit of committed entries handed out in one Ready. @default 67108864 */
  readonly maxApplyBytes?: number;
}

/** The durable state a core is (re)built from. */
export interface CoreBootState {
  readonly hardState: HardState;
  /** Latest snapshot, or null when none (then `conf` is the bootstrap configuration). */
  readonly snapshot: Snapshot | null;
  /** Index and term of the entry before `entries[0]` (compaction point). */
  readonly offset: number;
  readonly offsetTerm: number;
  readonly entries: Entry[];
}

/**
 * The durable state of a founding member before its first start: one committed
 * membership entry (index 1, term 1) listing the founding voters and learners. Every
 * founder writes the identical entry; members that join later receive it by replication.
 */
export function bootstrapState(voters: readonly NodeId[], learners: readonly NodeId[] = []): CoreBootState {
  if (voters.length === 0) throw new InvalidConfChangeError('bootstrap needs at least one voter');
  const steps = [
    ...[...voters].sort().map((node) => ({ type: 'addVoter' as const, node })),
    ...[...learners].sort().map((node) => ({ type: 'addLearner' as const, node })),
  ];
  return {
    hardState: { term: 1, vote: null, commit: 1 },
    snapshot: null,
    offset: 0,
    offsetTerm: 0,
    entries: [{ index: 1, term: 1, type: 'conf', data: EMPTY_BYTES, change: { steps } }],
  };
}

/** Where a proposal landed in the leader's log. */
export interface ProposalPosition {
  /** Index of the first entry appended. */
  readonly index: number;
  /** Index of the last entry appended. */
  readonly lastIndex: number;
  readonly term: number;
}

interface PendingRead {
  readonly index: number;
  readonly from: NodeId;
  readonly context: string;
  readonly acks: Map<NodeId, boolean>;
}

const EMPTY_CONF: ConfState = { voters: [], votersOutgoing: [], learners: [] };

/**
 * The pure, synchronous Raft state machine. It never reads a clock, touches the network
 * or disk, or draws unseeded randomness: time enters through {@link RaftCore.tick},
 * messages through {@link RaftCore.step}, and everything to do leaves through
 * {@link RaftCore.ready}. Contract for the caller, in this order, for each Ready:
 * 1. persist `snapshot`, `entries` (truncating any conflicting suffix) and `hardState`, durably;
 * 2. send `messages` (a leader may send its `append`/`heartbeat` messages before step 1:
 *    it counts its own entries toward commitment only after `advance`);
 * 3. apply `snapshot` to the state machine, then `committedEntries` in order; serve `readStates`;
 * 4. call {@link RaftCore.advance} with the same Ready.
 */
export class RaftCore {
  readonly id: NodeId;
  private term = 0;
  private vote: NodeId | null = null;
  private role: Role = 'follower';
  private lead: NodeId | null = null;
  readonly log: RaftLog;
  private conf: ConfState;
  private quorum: JointQuorum;
  /** Configuration history (by entry index) above the snapshot, for snapshot metadata. */
  private confHistory: { index: number; conf: ConfState }[] = [];
  private baseConf: ConfState;
  private readonly progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId | null = null;
  private pendingConfIndex = 0;
  private pendingReads: PendingRead[] = [];
  private pendingReadRound = new Map<string, number>();
  private readBase = 0;
  private confCursor = 0;
  private queuedReadRequests: Message[] = [];
  private readStates: ReadState[] = [];
  private msgs: Message[] = [];
  private prevHard: HardState;
  private prevSoft: SoftState;
  private readonly prng: RaftPrng;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsgBytes: number;
  private readonly maxInflightMsgs: number;
  private readonly maxInflightBytes: number;
  private readonly maxApplyBytes: number;
  private readCounter = 0;

  constructor(options: RaftCoreOptions, boot: CoreBootState) {
    this.id = options.id;
    this.prng = new RaftPrng(options.seed);
    this.electionTicks = options.electionTicks ?? 10;
    this.heartbeatTicks = options.heartbeatTicks ?? 1;
    this.preVote = options.preVote ?? true;
    this.checkQuorum = options.checkQuorum ?? true;
    this.maxSizePerMsgBytes = options.maxSizePerMsgBytes ?? 1024 * 1024;
    this.maxInflightMsgs = options.maxInflightMsgs ?? 64;
    this.maxInflightBytes = options.maxInflightBytes ?? 0;
    this.maxApplyBytes = options.maxApplyBytes ?? 64 * 1024 * 1024;
    assert(this.heartbeatTicks >= 1 && this.electionTicks > this.heartbeatTicks, 'electionTicks must exceed heartbeatTicks >= 1');
    this.log = new RaftLog(boot.offset, boot.offsetTerm, boot.entries.slice(), boot.snapshot, boot.hardState.commit);
    this.baseConf = boot.snapshot ? boot.snapshot.conf : EMPTY_CONF;
    this.conf = this.baseConf;
    this.quorum = toQuorum(this.conf);
    this.term = boot.hardState.term;
    this.vote = boot.hardState.vote;
    // Replay committed membership changes above the snapshot.
    const base = this.log.snapshot ? this.log.snapshot.index : 0;
    this.confCursor = Math.max(base, this.log.offset);
    this.becomeFollower(this.term, null);
    this.afterCommit();
    this.prevHard = this.hardState();
    this.prevSoft = this.softState();
  }

  // ---------------------------------------------------------------- accessors

  /** Current term, vote and commit index. */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Current leader hint and role. */
  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  /** Current membership (takes effect when the change entry commits). */
  confState(): ConfState {
    return this.conf;
  }

  /** Current term. */
  get currentTerm(): number {
    return this.term;
  }

  /** Current role. */
  get currentRole(): Role {
    return this.role;
  }

  /** Current leader hint, or null. */
  get leader(): NodeId | null {
    return this.lead;
  }

  /** True if this member votes in the current configuration. */
  isVoter(): boolean {
    return isVoterIn(this.conf, this.id);
  }

  /** Replication progress of `id` as the leader sees it (undefined off-leader). */
  progressOf(id: NodeId): Readonly<Progress> | undefined {
    return this.role === 'leader' ? this.progress.get(id) : undefined;
  }

  /** Target of a leadership transfer in progress, or null. */
  get transferee(): NodeId | null {
    return this.leadTransferee;
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick. */
  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /**
   * Appends user commands to the log (leader only) and starts replicating them.
   * Batching: pass several commands to append them in one go.
   * @throws NotLeaderError (with the leader hint) on a non-leader or during a leadership transfer.
   */
  propose(data: Uint8Array | readonly Uint8Array[]): ProposalPosition {
    this.requireLeader();
    const list = data instanceof Uint8Array ? [data] : data;
    assert(list.length > 0, 'propose needs at least one command');
    const first = this.log.lastIndex() + 1;
    const entries = list.map((d, i): Entry => ({ index: first + i, term: this.term, type: 'normal', data: d }));
    this.appendEntries(entries);
    return { index: first, lastIndex: first + entries.length - 1, term: this.term };
  }

  /**
   * Proposes a membership change (leader only). Only one change may be in flight: it
   * must commit, and joint consensus must be left, before the next is accepted.
   * @throws NotLeaderError, ConfChangeInProgressError, InvalidConfChangeError
   */
  proposeConfChange(change: ConfChange): ProposalPosition {
    this.requireLeader();
    if (change.steps.length === 0) throw new InvalidConfChangeError('a membership change needs at least one step');
    if (this.pendingConfIndex > this.log.committed || this.quorum.isJoint) throw new ConfChangeInProgressError();
    applyConfChange(this.conf, change); // validate
    const index = this.log.lastIndex() + 1;
    this.pendingConfIndex = index;
    this.appendEntries([{ index, term: this.term, type: 'conf', data: EMPTY_BYTES, change }]);
    return { index, lastIndex: index, term: this.term };
  }

  /**
   * Requests a linearizable read index (ReadIndex, no log write). The answer arrives in a
   * later Ready's `readStates` with the same `context`; then wait until applied >= index.
   * On a follower the request is forwarded to the leader.
   * @throws NotLeaderError when no leader is known.
   */
  readIndex(context: string): void {
    if (this.role === 'leader') {
      this.handleReadIndex({ type: 'readIndex', from: this.id, to: this.id, term: this.term, context });
      return;
    }
    if (this.lead === null) throw new NotLeaderError(null, `member ${this.id}`);
    this.send({ type: 'readIndex', from: this.id, to: this.lead, term: this.term, context });
  }

  /**
   * Transfers leadership to `target`: the leader stops accepting proposals, brings the
   * target up to date and tells it to campaign at once. Aborted after an election timeout.
   * On a follower the request is forwarded to the leader.
   */
  transferLeadership(target: NodeId): void {
    const m: Message = { type: 'transferLeader', from: target, to: this.lead ?? this.id, term: this.term };
    if (this.role === 'leader') this.stepLeader(m);
    else if (this.lead !== null) this.send(m);
    else throw new NotLeaderError(null, `member ${this.id}`);
  }

  /** Starts an election now (tests and tools). Ignored by non-voters. */
  campaign(): void {
    if (this.role !== 'leader') this.startCampaign(this.preVote ? 'preVote' : 'vote', false);
  }

  /** Feeds a message received from a peer. Messages with a stale term are mostly ignored. */
  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === 'transfer';
        const inLease = this.checkQuorum && this.lead !== null && this.electionElapsed < this.electionTicks;
        if (!force && inLease) return; // a leader is alive: ignore disruptive candidates
      }
      if (m.type === 'preVote') {
        // never change term on a pre-vote request
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // our own pre-vote at term+1 succeeded at that peer; keep the term
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
        // Tell a stale leader about the newer term so it steps down.
        this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- outputs

  /** True when {@link ready} has something to do. */
  hasReady(): boolean {
    return !readyIsEmpty(this.peekReady(false));
  }

  /** Collects the work to do; see the class documentation for the contract. */
  ready(): Ready {
    return this.peekReady(true);
  }

  private peekReady(take: boolean): Ready {
    const hard = this.hardState();
    const soft = this.softState();
    const rd: Ready = {
      softState: soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role ? soft : null,
      hardState:
        hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote || hard.commit !== this.prevHard.commit ? hard : null,
      entries: this.log.unstableEntries(),
      snapshot: this.log.pendingSnapshot,
      committedEntries: this.log.nextCommitted(this.maxApplyBytes),
      messages: this.msgs,
      readStates: this.readStates,
    };
    if (take) {
      this.msgs = [];
      this.readStates = [];
    }
    return rd;
  }

  /** Acknowledges that a Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot && this.log.pendingSnapshot === rd.snapshot) this.log.pendingSnapshot = null;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry && this.log.term(lastEntry.index) === lastEntry.term) {
      this.log.stabled = Math.max(this.log.stabled, lastEntry.index);
      // The leader counts its own copy only once it is durable (it may have sent the
      // entries to followers before persisting them: thesis §10.2.1).
      const self = this.role === 'leader' ? this.progress.get(this.id) : undefined;
      if (self && self.maybeUpdate(Math.min(this.log.stabled, this.log.lastIndex()))) {
        if (this.maybeCommit()) this.bcastAppend();
      }
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) this.log.applied = Math.max(this.log.applied, lastApplied.index);
  }

  /**
   * Records a state-machine snapshot taken at `index` (<= applied), then drops log
   * entries up to `compactIndex` (<= index). The caller persists both first.
   */
  compact(index: number, data: Uint8Array, compactIndex: number = index): Snapshot {
    assert(index <= this.log.applied && index >= this.log.offset, `snapshot index ${index} must be applied and not compacted`);
    assert(compactIndex <= index, 'compactIndex must be <= snapshot index');
    const term = this.log.term(index);
    assert(term !== undefined, `snapshot index ${index} not in log`);
    const snap: Snapshot = { index, term, conf: this.confAt(index), data };
    this.log.snapshot = snap;
    // Trim configuration history covered by the snapshot.
    this.baseConf = snap.conf;
    this.confHistory = this.confHistory.filter((h) => h.index > index);
    this.log.compact(compactIndex);
    return snap;
  }

  // ---------------------------------------------------------------- roles

  private requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead, `member ${this.id}`);
    if (this.leadTransferee !== null) throw new NotLeaderError(this.leadTransferee, `member ${this.id} (transferring leadership)`);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + this.prng.int(0, this.electionTicks);
    this.leadTransferee = null;
    this.votes = new Map();
    this.pendingConfIndex = 0;
    this.pendingReads = [];
    this.pendingReadRound.clear();
    this.readBase = 0;
    this.queuedReadRequests = [];
    this.progress.clear();
    for (const id of allMembers(this.conf)) {
      this.progress.set(id, this.newProgress(id));
    }
  }

  private newProgress(id: NodeId): Progress {
    const pr = new Progress(this.log.lastIndex() + 1, this.maxInflightMsgs, this.maxInflightBytes);
    if (id === this.id) pr.match = Math.min(this.log.stabled, this.log.lastIndex());
    return pr;
  }

  private becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate can become leader');
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    const self = this.progress.get(this.id);
    if (self) self.becomeReplicate();
    for (const pr of this.progress.values()) pr.recentActive = true;
    // No conf change until the no-op of this term commits.
    this.pendingConfIndex = this.log.lastIndex() + 1;
    this.appendEntries([{ index: this.log.lastIndex() + 1, term: this.term, type: 'normal', data: EMPTY_BYTES }]);
  }

  private startCampaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    if (!this.isVoter()) return;
    if (this.log.pendingSnapshot) return; // finish installing the snapshot first
    let voteTerm: number;
    if (kind === 'preVote') {
      this.reset(this.term);
      this.role = 'preCandidate';
      voteTerm = this.term + 1;
    } else {
      this.reset(this.term + 1);
      this.role = 'candidate';
      this.vote = this.id;
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.tally()) return;
    for (const id of this.quorum.allVoters()) {
      if (id === this.id) continue;
      this.send({
        type: kind,
        from: this.id,
        to: id,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        ...(transfer ? { context: 'transfer' } : {}),
      });
    }
  }

  /** Counts votes; moves on when decided. Returns true if the role changed. */
  private tally(): boolean {
    const res = this.quorum.voteResult(this.votes);
    if (res === 'won') {
      if (this.role === 'preCandidate') this.startCampaign('vote', false);
      else this.becomeLeader();
      return true;
    }
    if (res === 'lost') {
      this.becomeFollower(this.term, null);
      return true;
    }
    return false;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isVoter() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.startCampaign(this.preVote ? 'preVote' : 'vote', false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const [id, pr] of this.progress) {
      if (pr.state === 'snapshot' && ++pr.snapshotTicks >= this.electionTicks) {
        pr.becomeProbe(); // the snapshot was probably lost; probe again
        this.sendAppend(id);
      }
    }
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        const active = new Map<NodeId, boolean>();
        for (const [id, pr] of this.progress) if (id === this.id || pr.recentActive) active.set(id, true);
        for (const [id, pr] of this.progress) if (id !== this.id) pr.recentActive = false;
        if (this.quorum.voteResult(active) !== 'won') {
          this.becomeFollower(this.term, null);
          return;
        }
      }
      this.leadTransferee = null; // abort a transfer that did not finish in time
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(undefined);
    }
  }

  // ---------------------------------------------------------------- step per role

  private handleVoteRequest(m: Message): void {
    const pre = m.type === 'preVote';
    const canVote = this.vote === m.from || (this.vote === null && this.lead === null) || (pre && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0);
    const respType = pre ? 'preVoteResp' : 'voteResp';
    if (grant) {
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        const expected = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
        if (m.type !== expected) return;
        if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
        this.tally();
        return;
      }
      case 'readIndex':
        return; // no leader to answer; the requester times out
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
        this.afterCommit();
        this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, ...(m.context !== undefined ? { context: m.context } : {}) });
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        this.startCampaign('vote', true);
        return;
      case 'readIndex':
        if (this.lead !== null) this.send({ ...m, to: this.lead, term: this.term });
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index ?? 0, context: m.context ?? '' });
        return;
      case 'transferLeader':
        if (this.lead !== null) this.send({ ...m, to: this.lead, term: this.term });
        return;
      default:
        return;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case 'appendResp': {
        if (!pr) return;
        pr.recentActive = true;
        if (m.reject) {
          let next = m.rejectHint ?? 0;
          if ((m.logTerm ?? 0) > 0) next = this.log.findConflictByTerm(next, m.logTerm ?? 0);
          if (pr.maybeDecrTo(m.index ?? 0, next)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        const wasPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index ?? 0)) {
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
            pr.becomeProbe();
            pr.becomeReplicate();
          } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index ?? 0);
          if (this.maybeCommit()) this.bcastAppend();
          else if (wasPaused) this.sendAppend(m.from);
          while (this.role === 'leader' && this.sendAppend(m.from, false)) {
            /* keep the pipeline full */
          }
          if (this.role === 'leader' && m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.send({ type: 'timeoutNow', from: this.id, to: m.from, term: this.term });
          }
        } else if (pr.state === 'probe' && pr.probeSent && (m.index ?? 0) >= pr.match) {
          pr.probeSent = false;
        }
        return;
      }
      case 'heartbeatResp': {
        if (!pr) return;
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context !== undefined) this.ackRead(m.context, m.from);
        return;
      }
      case 'readIndex':
        this.handleReadIndex(m);
        return;
      case 'transferLeader': {
        const target = m.from;
        if (!pr || !isVoterIn(this.conf, target)) return;
        if (target === this.id || target === this.leadTransferee) return;
        this.leadTransferee = target;
        this.electionElapsed = 0;
        if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', from: this.id, to: target, term: this.term });
        else this.sendAppend(target);
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- replication

  private appendEntries(entries: Entry[]): void {
    this.log.append(entries);
    this.bcastAppend();
  }

  /** Advances the commit index by counting replicas of entries of the current term only. */
  private maybeCommit(): boolean {
    const idx = this.quorum.committedIndex((id) => this.progress.get(id)?.match ?? 0);
    if (idx > this.log.committed && this.log.term(idx) === this.term) {
      this.log.commitTo(idx);
      this.afterCommit();
      return true;
    }
    return false;
  }

  /** Applies newly committed membership changes and releases queued reads. */
  private afterCommit(): void {
    while (this.confCursor < this.log.committed) {
      const i = ++this.confCursor;
      const e = this.log.entry(i);
      if (e && e.type === 'conf' && e.change) this.applyConf(e);
    }
    if (this.role !== 'leader') return;
    if (this.queuedReadRequests.length > 0 && this.log.term(this.log.committed) === this.term) {
      const q = this.queuedReadRequests;
      this.queuedReadRequests = [];
      for (const m of q) this.handleReadIndex(m);
    }
    // Leave joint consensus automatically once the joint configuration is committed.
    if (this.quorum.isJoint && this.pendingConfIndex <= this.log.committed && this.leadTransferee === null) {
      const index = this.log.lastIndex() + 1;
      this.pendingConfIndex = index;
      this.appendEntries([{ index, term: this.term, type: 'conf', data: EMPTY_BYTES, change: { steps: [] } }]);
    }
  }


  private applyConf(e: Entry): void {
    const change = e.change as ConfChange;
    let next: ConfState;
    try {
      next = applyConfChange(this.conf, change);
    } catch {
      return; // invalid against the committed configuration: a no-op everywhere
    }
    this.conf = next;
    this.quorum = toQuorum(next);
    this.confHistory.push({ index: e.index, conf: next });
    this.confCursor = Math.max(this.confCursor, e.index);
    const members = new Set(allMembers(next));
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      if (!this.progress.has(id)) {
        const pr = this.newProgress(id);
        pr.recentActive = true;
        this.progress.set(id, pr);
      }
    }
    if (this.role === 'leader' && !isVoterIn(next, this.id)) {
      // Removed leader: tell everyone the commit index, then step down.
      this.bcastAppend();
      this.becomeFollower(this.term, null);
    }
  }

  private confAt(index: number): ConfState {
    let conf = this.baseConf;
    for (const h of this.confHistory) if (h.index <= index) conf = h.conf;
    return conf;
  }

  private bcastAppend(): void {
    if (this.role !== 'leader') return;
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context: string | undefined): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      this.send({
        type: 'heartbeat',
        from: this.id,
        to: id,
        term: this.term,
        commit: Math.min(pr.match, this.log.committed),
        ...(context !== undefined ? { context } : {}),
      });
    }
  }

  /** Sends an append (or a snapshot) to `to`; returns true if a message was sent. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = prevTerm === undefined ? undefined : this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxSizePerMsgBytes);
    if (prevTerm === undefined || entries === undefined) {
      const snap = this.log.snapshot;
      if (!snap || !pr.recentActive) return false;
      pr.becomeSnapshot(snap.index);
      this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot: snap });
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of entries) bytes += entrySizeBytes(e);
    const last = entries.length > 0 ? (entries[entries.length - 1] as Entry).index : prevIndex;
    pr.sentEntries(last, bytes, entries.length);
    this.send({
      type: 'append',
      from: this.id,
      to,
      term: this.term,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
    });
    return true;
  }

  private handleAppend(m: Message): void {
    const prevIndex = m.index ?? 0;
    if (prevIndex < this.log.committed) {
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: this.log.committed });
      return;
    }
    const entries = m.entries ?? [];
    const lastNew = this.log.maybeAppend(prevIndex, m.logTerm ?? 0, entries);
    if (lastNew !== null) {
      this.log.commitTo(Math.min(m.commit ?? 0, lastNew));
      this.afterCommit();
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: lastNew });
      return;
    }
    const hintIndex = this.log.findConflictByTerm(Math.min(prevIndex, this.log.lastIndex()), m.logTerm ?? 0);
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.send({
      type: 'appendResp',
      from: this.id,
      to: m.from,
      term: this.term,
      index: prevIndex,
      reject: true,
      rejectHint: hintIndex,
      logTerm: hintTerm,
    });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot as Snapshot;
    if (s.index <= this.log.committed) {
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We already have the entries: just fast-forward the commit index.
      this.log.commitTo(s.index);
      this.afterCommit();
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: this.log.committed });
      return;
    }
    this.log.restore(s);
    this.conf = s.conf;
    this.baseConf = s.conf;
    this.confHistory = [];
    this.confCursor = s.index;
    this.quorum = toQuorum(s.conf);
    this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, index: this.log.lastIndex() });
  }

  // ---------------------------------------------------------------- reads

  private handleReadIndex(m: Message): void {
    const context = m.context ?? '';
    if (this.log.term(this.log.committed) !== this.term) {
      this.queuedReadRequests.push(m); // answer once this term's no-op commits
      return;
    }
    const index = this.log.committed;
    const acks = new Map<NodeId, boolean>([[this.id, true]]);
    if (this.quorum.voteResult(acks) === 'won') {
      this.answerRead(m.from, index, context);
      return;
    }
    const roundCtx = `${this.id}/${this.term}/${++this.readCounter}`;
    this.pendingReads.push({ index, from: m.from, context, acks });
    this.pendingReadRound.set(roundCtx, this.pendingReads.length - 1 + this.readBase);
    this.bcastHeartbeat(roundCtx);
  }


  private ackRead(roundCtx: string, from: NodeId): void {
    const pos = this.pendingReadRound.get(roundCtx);
    if (pos === undefined) return;
    const i = pos - this.readBase;
    const req = this.pendingReads[i];
    if (!req) return;
    req.acks.set(from, true);
    if (this.quorum.voteResult(req.acks) !== 'won') return;
    // Release this read and every earlier one (they were all issued under this leadership).
    const released = this.pendingReads.splice(0, i + 1);
    this.readBase += i + 1;
    for (const [k, p] of this.pendingReadRound) if (p < this.readBase) this.pendingReadRound.delete(k);
    for (const r of released) this.answerRead(r.from, r.index, r.context);
  }

  private answerRead(from: NodeId, index: number, context: string): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResp', from: this.id, to: from, term: this.term, index, context });
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }
}

function toQuorum(conf: ConfState): JointQuorum {
  return new JointQuorum(new Set(conf.voters), new Set(conf.votersOutgoing));
}
