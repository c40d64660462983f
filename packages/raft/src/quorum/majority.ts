import type { NodeId } from '../core/messages.js';

/** Outcome of counting votes. */
export type VoteResult = 'pending' | 'won' | 'lost';

/**
 * The highest index acknowledged by a majority of `voters`, given each voter's match index.
 * An empty voter set returns +Infinity (it never constrains a joint quorum).
 */
export function majorityCommitted(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const n = voters.size;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  matches.sort((a, b) => b - a);
  return matches[Math.floor(n / 2)] as number;
}

/** Counts `votes` (true = granted) among `voters`. An empty voter set wins. */
export function majorityVote(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const n = voters.size;
  if (n === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(n / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}
