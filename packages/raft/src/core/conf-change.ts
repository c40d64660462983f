import { ConfChangeInProgressError, InvalidConfChangeError } from '../errors.js';
import { allMembers, applyConfChange, isVoterIn } from './confchange.js';
import type { CoreState, ProposalPosition } from './core-state.js';
import { EMPTY_BYTES, type ConfChange, type Entry } from './messages.js';
import { appendEntries, bcastAppend } from './replication.js';

// Membership changes (joint consensus, one at a time): proposing one, applying one when it
// commits (followers' progress, a removed leader stepping down), and leaving joint
// consensus automatically once the joint configuration is committed.

/**
 * Leader: appends a membership change. Only one may be in flight: it must commit, and
 * joint consensus must be left, before the next is accepted.
 * @throws NotLeaderError, ConfChangeInProgressError, InvalidConfChangeError
 */
export function proposeConfChange(r: CoreState, change: ConfChange): ProposalPosition {
  r.requireLeader();
  if (change.steps.length === 0) throw new InvalidConfChangeError('a membership change needs at least one step');
  if (r.pendingConfIndex > r.log.committed || r.membership.quorum.isJoint) throw new ConfChangeInProgressError();
  applyConfChange(r.membership.conf, change); // validate
  const index = r.log.lastIndex() + 1;
  r.pendingConfIndex = index;
  appendEntries(r, [{ index, term: r.term, type: 'conf', data: EMPTY_BYTES, change }]);
  return { index, lastIndex: index, term: r.term };
}

/** Applies the committed membership change in `e` (invalid ones are a no-op everywhere). */
export function applyConf(r: CoreState, e: Entry): void {
  const next = r.membership.apply(e);
  if (next === null) return;
  const members = new Set(allMembers(next));
  for (const id of [...r.progress.keys()]) if (!members.has(id)) r.progress.delete(id);
  for (const id of members) {
    if (!r.progress.has(id)) {
      const pr = r.newProgress(id);
      pr.recentActive = true;
      r.progress.set(id, pr);
    }
  }
  if (r.role === 'leader' && !isVoterIn(next, r.id)) {
    // Removed leader: tell everyone the commit index, then step down.
    bcastAppend(r);
    r.becomeFollower(r.term, null);
  }
}

/** Leader: leaves joint consensus once the joint configuration is committed (and no transfer runs). */
export function maybeLeaveJoint(r: CoreState): void {
  if (r.membership.quorum.isJoint && r.pendingConfIndex <= r.log.committed && r.leadTransferee === null) {
    const index = r.log.lastIndex() + 1;
    r.pendingConfIndex = index;
    appendEntries(r, [{ index, term: r.term, type: 'conf', data: EMPTY_BYTES, change: { steps: [] } }]);
  }
}
