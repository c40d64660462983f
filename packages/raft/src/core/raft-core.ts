import { NotLeaderError } from '../errors.js';
import type { Progress } from '../tracker/progress.js';
import { type CoreBootState } from './bootstrap-state.js';
import { afterCommit, maybeCommit } from './commit.js';
import { proposeConfChange } from './conf-change.js';
import { CoreState, type ProposalPosition } from './core-state.js';
import { handleVoteRequest, startCampaign, tally, tickElection } from './election.js';
import { Membership } from './membership.js';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Snapshot } from './messages.js';
import { assert, RaftLog } from './raft-log.js';
import { handleReadIndex } from './read-index.js';
import { readyIsEmpty, type Ready, type Role, type SoftState } from './ready.js';
import { appendEntries, bcastAppend, handleAppend, handleSnapshot } from './replication.js';
import { stepLeader, tickLeader } from './step-leader.js';

export { bootstrapState, type CoreBootState } from './bootstrap-state.js';
export type { ProposalPosition } from './core-state.js';

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
  readonly log: RaftLog;
  /** The state shared with the parts of the core: election.ts, replication.ts, read-index.ts, conf-change.ts, commit.ts. */
  private readonly r: CoreState;
  private prevHard: HardState;
  private prevSoft: SoftState;
  private readonly maxApplyBytes: number;

  constructor(options: RaftCoreOptions, boot: CoreBootState) {
    this.id = options.id;
    const cfg = {
      electionTicks: options.electionTicks ?? 10,
      heartbeatTicks: options.heartbeatTicks ?? 1,
      preVote: options.preVote ?? true,
      checkQuorum: options.checkQuorum ?? true,
      maxSizePerMsgBytes: options.maxSizePerMsgBytes ?? 1024 * 1024,
      maxInflightMsgs: options.maxInflightMsgs ?? 64,
      maxInflightBytes: options.maxInflightBytes ?? 0,
      maxApplyBytes: options.maxApplyBytes ?? 64 * 1024 * 1024,
    };
    this.maxApplyBytes = cfg.maxApplyBytes;
    assert(cfg.heartbeatTicks >= 1 && cfg.electionTicks > cfg.heartbeatTicks, 'electionTicks must exceed heartbeatTicks >= 1');
    this.log = new RaftLog(boot.offset, boot.offsetTerm, boot.entries.slice(), boot.snapshot, boot.hardState.commit);
    // Committed membership changes above the snapshot are replayed by afterCommit below.
    const base = this.log.snapshot ? this.log.snapshot.index : 0;
    const r = new CoreState(options.id, options.seed, cfg, this.log, new Membership(boot.snapshot, Math.max(base, this.log.offset)));
    this.r = r;
    r.term = boot.hardState.term;
    r.vote = boot.hardState.vote;
    r.becomeFollower(r.term, null);
    afterCommit(r);
    this.prevHard = this.hardState();
    this.prevSoft = this.softState();
  }

  // ---------------------------------------------------------------- accessors

  /** Current term, vote and commit index. */
  hardState(): HardState {
    return { term: this.r.term, vote: this.r.vote, commit: this.log.committed };
  }

  /** Current leader hint and role. */
  softState(): SoftState {
    return { leader: this.r.lead, role: this.r.role };
  }

  /** Current membership (takes effect when the change entry commits). */
  confState(): ConfState {
    return this.r.membership.conf;
  }

  /** Current term. */
  get currentTerm(): number {
    return this.r.term;
  }

  /** Current role. */
  get currentRole(): Role {
    return this.r.role;
  }

  /** Current leader hint, or null. */
  get leader(): NodeId | null {
    return this.r.lead;
  }

  /** True if this member votes in the current configuration. */
  isVoter(): boolean {
    return this.r.isVoter();
  }

  /** Replication progress of `id` as the leader sees it (undefined off-leader). */
  progressOf(id: NodeId): Readonly<Progress> | undefined {
    return this.r.role === 'leader' ? this.r.progress.get(id) : undefined;
  }

  /** Target of a leadership transfer in progress, or null. */
  get transferee(): NodeId | null {
    return this.r.leadTransferee;
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick. */
  tick(): void {
    if (this.r.role === 'leader') tickLeader(this.r);
    else tickElection(this.r);
  }

  /**
   * Appends user commands to the log (leader only) and starts replicating them.
   * Batching: pass several commands to append them in one go.
   * @throws NotLeaderError (with the leader hint) on a non-leader or during a leadership transfer.
   */
  propose(data: Uint8Array | readonly Uint8Array[]): ProposalPosition {
    const r = this.r;
    r.requireLeader();
    const list = data instanceof Uint8Array ? [data] : data;
    assert(list.length > 0, 'propose needs at least one command');
    const first = this.log.lastIndex() + 1;
    const entries = list.map((d, i): Entry => ({ index: first + i, term: r.term, type: 'normal', data: d }));
    appendEntries(r, entries);
    return { index: first, lastIndex: first + entries.length - 1, term: r.term };
  }

  /**
   * Proposes a membership change (leader only). Only one change may be in flight: it
   * must commit, and joint consensus must be left, before the next is accepted.
   * @throws NotLeaderError, ConfChangeInProgressError, InvalidConfChangeError
   */
  proposeConfChange(change: ConfChange): ProposalPosition {
    return proposeConfChange(this.r, change);
  }

  /**
   * Requests a linearizable read index (ReadIndex, no log write). The answer arrives in a
   * later Ready's `readStates` with the same `context`; then wait until applied >= index.
   * On a follower the request is forwarded to the leader.
   * @throws NotLeaderError when no leader is known.
   */
  readIndex(context: string): void {
    const r = this.r;
    if (r.role === 'leader') {
      handleReadIndex(r, { type: 'readIndex', from: r.id, to: r.id, term: r.term, context });
      return;
    }
    if (r.lead === null) throw new NotLeaderError(null, `member ${r.id}`);
    r.send({ type: 'readIndex', from: r.id, to: r.lead, term: r.term, context });
  }

  /**
   * Transfers leadership to `target`: the leader stops accepting proposals, brings the
   * target up to date and tells it to campaign at once. Aborted after an election timeout.
   * On a follower the request is forwarded to the leader.
   */
  transferLeadership(target: NodeId): void {
    const r = this.r;
    const m: Message = { type: 'transferLeader', from: target, to: r.lead ?? r.id, term: r.term };
    if (r.role === 'leader') stepLeader(r, m);
    else if (r.lead !== null) r.send(m);
    else throw new NotLeaderError(null, `member ${r.id}`);
  }

  /** Starts an election now (tests and tools). Ignored by non-voters. */
  campaign(): void {
    if (this.r.role !== 'leader') startCampaign(this.r, this.r.cfg.preVote ? 'preVote' : 'vote', false);
  }

  /** Feeds a message received from a peer. Messages with a stale term are mostly ignored. */
  step(m: Message): void {
    const r = this.r;
    if (m.to !== r.id) return;
    if (m.term > r.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === 'transfer';
        const inLease = r.cfg.checkQuorum && r.lead !== null && r.electionElapsed < r.cfg.electionTicks;
        if (!force && inLease) return; // a leader is alive: ignore disruptive candidates
      }
      if (m.type === 'preVote') {
        // never change term on a pre-vote request
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // our own pre-vote at term+1 succeeded at that peer; keep the term
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        r.becomeFollower(m.term, m.from);
      } else {
        r.becomeFollower(m.term, null);
      }
    } else if (m.term < r.term) {
      if ((r.cfg.checkQuorum || r.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
        // Tell a stale leader about the newer term so it steps down.
        r.send({ type: 'appendResp', from: r.id, to: m.from, term: r.term, index: 0, reject: false });
      } else if (m.type === 'preVote') {
        r.send({ type: 'preVoteResp', from: r.id, to: m.from, term: r.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      handleVoteRequest(r, m);
      return;
    }
    switch (r.role) {
      case 'leader':
        stepLeader(r, m);
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
    const r = this.r;
    const hard = this.hardState();
    const soft = this.softState();
    const rd: Ready = {
      softState: soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role ? soft : null,
      hardState:
        hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote || hard.commit !== this.prevHard.commit ? hard : null,
      entries: this.log.unstableEntries(),
      snapshot: this.log.pendingSnapshot,
      committedEntries: this.log.nextCommitted(this.maxApplyBytes),
      messages: r.msgs,
      readStates: r.readStates,
    };
    if (take) {
      r.msgs = [];
      r.readStates = [];
    }
    return rd;
  }

  /** Acknowledges that a Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    const r = this.r;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot && this.log.pendingSnapshot === rd.snapshot) this.log.pendingSnapshot = null;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry && this.log.term(lastEntry.index) === lastEntry.term) {
      this.log.stabled = Math.max(this.log.stabled, lastEntry.index);
      // The leader counts its own copy only once it is durable (it may have sent the
      // entries to followers before persisting them: thesis §10.2.1).
      const self = r.role === 'leader' ? r.progress.get(r.id) : undefined;
      if (self && self.maybeUpdate(Math.min(this.log.stabled, this.log.lastIndex()))) {
        if (maybeCommit(r)) bcastAppend(r);
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
    const snap: Snapshot = { index, term, conf: this.r.membership.confAt(index), data };
    this.log.snapshot = snap;
    // Trim configuration history covered by the snapshot.
    this.r.membership.compacted(snap);
    this.log.compact(compactIndex);
    return snap;
  }

  // ---------------------------------------------------------------- per role

  private stepCandidate(m: Message): void {
    const r = this.r;
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        r.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        const expected = r.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
        if (m.type !== expected) return;
        if (!r.votes.has(m.from)) r.votes.set(m.from, !m.reject);
        tally(r);
        return;
      }
      case 'readIndex':
        return; // no leader to answer; the requester times out
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    const r = this.r;
    switch (m.type) {
      case 'append':
        r.electionElapsed = 0;
        r.lead = m.from;
        handleAppend(r, m);
        afterCommit(r);
        return;
      case 'heartbeat':
        r.electionElapsed = 0;
        r.lead = m.from;
        this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
        afterCommit(r);
        r.send({ type: 'heartbeatResp', from: r.id, to: m.from, term: r.term, ...(m.context !== undefined ? { context: m.context } : {}) });
        return;
      case 'snapshot':
        r.electionElapsed = 0;
        r.lead = m.from;
        handleSnapshot(r, m);
        afterCommit(r);
        return;
      case 'timeoutNow':
        startCampaign(r, 'vote', true);
        return;
      case 'readIndex':
        if (r.lead !== null) r.send({ ...m, to: r.lead, term: r.term });
        return;
      case 'readIndexResp':
        r.readStates.push({ index: m.index ?? 0, context: m.context ?? '' });
        return;
      case 'transferLeader':
        if (r.lead !== null) r.send({ ...m, to: r.lead, term: r.term });
        return;
      default:
        return;
    }
  }
}
