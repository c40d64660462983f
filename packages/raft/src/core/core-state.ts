import { NotLeaderError } from '../errors.js';
import { RaftPrng } from '../raft-prng.js';
import { Progress } from '../tracker/progress.js';
import { allMembers, isVoterIn } from './confchange.js';
import type { Message, NodeId } from './messages.js';
import { Membership } from './membership.js';
import type { RaftLog } from './raft-log.js';
import { ReadOnlyRequests } from './read-only-requests.js';
import type { ReadState, Role } from './ready.js';

/** Where a proposal landed in the leader's log. */
export interface ProposalPosition {
  /** Index of the first entry appended. */
  readonly index: number;
  /** Index of the last entry appended. */
  readonly lastIndex: number;
  readonly term: number;
}

/** Resolved tunables of a core (see RaftCoreOptions for their meaning and defaults). */
export interface CoreConfig {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly maxApplyBytes: number;
}

/**
 * The state of one consensus core, shared by the files that make up {@link RaftCore}
 * (election, replication, read index, membership changes), as etcd's `raft` struct is
 * shared by the files of its package. Internal: not exported from the package; RaftCore
 * is the only public way in. Holds the role transitions every part needs.
 */
export class CoreState {
  term = 0;
  vote: NodeId | null = null;
  role: Role = 'follower';
  lead: NodeId | null = null;
  readonly progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId | null = null;
  /** Index of the last membership change appended by this leader (none can follow until it commits). */
  pendingConfIndex = 0;
  readonly reads = new ReadOnlyRequests();
  /** Answered ReadIndex requests for the next Ready. */
  readStates: ReadState[] = [];
  /** Messages for the next Ready. */
  msgs: Message[] = [];
  private readonly prng: RaftPrng;

  constructor(
    readonly id: NodeId,
    seed: number,
    readonly cfg: CoreConfig,
    readonly log: RaftLog,
    readonly membership: Membership,
  ) {
    this.prng = new RaftPrng(seed);
  }

  /** True if this member votes in the current configuration. */
  isVoter(): boolean {
    return isVoterIn(this.membership.conf, this.id);
  }

  /** Queues a message for the next Ready. */
  send(m: Message): void {
    this.msgs.push(m);
  }

  /** @throws NotLeaderError (with the leader hint) on a non-leader or during a leadership transfer. */
  requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead, `member ${this.id}`);
    if (this.leadTransferee !== null) throw new NotLeaderError(this.leadTransferee, `member ${this.id} (transferring leadership)`);
  }

  /** Resets the volatile state for `term` (the vote is kept when the term does not change). */
  reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.prng.int(0, this.cfg.electionTicks);
    this.leadTransferee = null;
    this.votes = new Map();
    this.pendingConfIndex = 0;
    this.reads.reset();
    this.progress.clear();
    for (const id of allMembers(this.membership.conf)) {
      this.progress.set(id, this.newProgress(id));
    }
  }

  /** A fresh replication progress for `id` (a leader's own match is its durable last index). */
  newProgress(id: NodeId): Progress {
    const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    if (id === this.id) pr.match = Math.min(this.log.stabled, this.log.lastIndex());
    return pr;
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }
}
