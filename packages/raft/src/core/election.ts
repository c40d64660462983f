import type { CoreState } from './core-state.js';
import { EMPTY_BYTES, type Message } from './messages.js';
import { assert } from './raft-log.js';
import { appendEntries } from './replication.js';

// Leader election (thesis §3.4, §9.6 PreVote): the election timer, campaigns, the vote
// tally, and granting votes.

/** Follower or candidate: counts a tick; campaigns when the randomized election timeout runs out. */
export function tickElection(r: CoreState): void {
  r.electionElapsed++;
  if (r.isVoter() && r.electionElapsed >= r.randomizedElectionTimeout) {
    r.electionElapsed = 0;
    startCampaign(r, r.cfg.preVote ? 'preVote' : 'vote', false);
  }
}

/** Starts a pre-vote round or an election (`transfer`: asked by the leader, bypasses leases). */
export function startCampaign(r: CoreState, kind: 'preVote' | 'vote', transfer: boolean): void {
  if (!r.isVoter()) return;
  if (r.log.pendingSnapshot) return; // finish installing the snapshot first
  let voteTerm: number;
  if (kind === 'preVote') {
    r.reset(r.term);
    r.role = 'preCandidate';
    voteTerm = r.term + 1;
  } else {
    r.reset(r.term + 1);
    r.role = 'candidate';
    r.vote = r.id;
    voteTerm = r.term;
  }
  r.votes.set(r.id, true);
  if (tally(r)) return;
  for (const id of r.membership.quorum.allVoters()) {
    if (id === r.id) continue;
    r.send({
      type: kind,
      from: r.id,
      to: id,
      term: voteTerm,
      index: r.log.lastIndex(),
      logTerm: r.log.lastTerm(),
      ...(transfer ? { context: 'transfer' } : {}),
    });
  }
}

/** Counts votes; moves on when decided. Returns true if the role changed. */
export function tally(r: CoreState): boolean {
  const res = r.membership.quorum.voteResult(r.votes);
  if (res === 'won') {
    if (r.role === 'preCandidate') startCampaign(r, 'vote', false);
    else becomeLeader(r);
    return true;
  }
  if (res === 'lost') {
    r.becomeFollower(r.term, null);
    return true;
  }
  return false;
}

/** Answers a (pre-)vote request of the current term (or a pre-vote for the next). */
export function handleVoteRequest(r: CoreState, m: Message): void {
  const pre = m.type === 'preVote';
  const canVote = r.vote === m.from || (r.vote === null && r.lead === null) || (pre && m.term > r.term);
  const grant = canVote && r.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0);
  const respType = pre ? 'preVoteResp' : 'voteResp';
  if (grant) {
    r.send({ type: respType, from: r.id, to: m.from, term: m.term, reject: false });
    if (!pre) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
  }
}

function becomeLeader(r: CoreState): void {
  assert(r.role === 'candidate', 'only a candidate can become leader');
  r.reset(r.term);
  r.role = 'leader';
  r.lead = r.id;
  const self = r.progress.get(r.id);
  if (self) self.becomeReplicate();
  for (const pr of r.progress.values()) pr.recentActive = true;
  // No conf change until the no-op of this term commits.
  r.pendingConfIndex = r.log.lastIndex() + 1;
  appendEntries(r, [{ index: r.log.lastIndex() + 1, term: r.term, type: 'normal', data: EMPTY_BYTES }]);
}
