import type { NodeId } from '../core/messages.js';
import { majorityCommitted, majorityVote, type VoteResult } from './majority.js';

/**
 * A (possibly joint) voter configuration: decisions need a majority of `incoming` and,
 * while joint, also a majority of `outgoing`.
 */
export class JointQuorum {
  constructor(
    readonly incoming: ReadonlySet<NodeId>,
    readonly outgoing: ReadonlySet<NodeId>,
  ) {}

  /** True while in joint consensus. */
  get isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  /** True if `id` votes in either half. */
  isVoter(id: NodeId): boolean {
    return this.incoming.has(id) || this.outgoing.has(id);
  }

  /** Every voter of either half. */
  allVoters(): Set<NodeId> {
    return new Set([...this.incoming, ...this.outgoing]);
  }

  /** Largest index acknowledged by a quorum (0 if nothing). */
  committedIndex(matchOf: (id: NodeId) => number): number {
    const a = majorityCommitted(this.incoming, matchOf);
    const b = majorityCommitted(this.outgoing, matchOf);
    const c = Math.min(a, b);
    return Number.isFinite(c) ? c : 0;
  }

  /** Joint vote: won only if both halves win; lost if either loses. */
  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    const a = majorityVote(this.incoming, votes);
    const b = majorityVote(this.outgoing, votes);
    if (a === 'won' && b === 'won') return 'won';
    if (a === 'lost' || b === 'lost') return 'lost';
    return 'pending';
  }
}
