import type { NodeId, Message } from './messages.js';
import { maybeCommit } from './commit.js';
import { isVoterIn } from './confchange.js';
import type { CoreState } from './core-state.js';
import { ackRead, handleReadIndex } from './read-index.js';
import { bcastAppend, bcastHeartbeat, sendAppend } from './replication.js';

// The leader's role (etcd's tickHeartbeat and stepLeader): heartbeats, CheckQuorum, lost
// snapshots, and the answers of followers (appends acknowledged or rejected, heartbeats
// acknowledged, ReadIndex requests, leadership transfer requests).

/** Leader: counts a tick; heartbeats, retries lost snapshots, and steps down without a quorum (CheckQuorum). */
export function tickLeader(r: CoreState): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  for (const [id, pr] of r.progress) {
    if (pr.state === 'snapshot' && ++pr.snapshotTicks >= r.cfg.electionTicks) {
      pr.becomeProbe(); // the snapshot was probably lost; probe again
      sendAppend(r, id);
    }
  }
  if (r.electionElapsed >= r.cfg.electionTicks) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum) {
      // CheckQuorum: step down unless a quorum was heard from during the last election timeout.
      const active = new Map<NodeId, boolean>();
      for (const [id, pr] of r.progress) if (id === r.id || pr.recentActive) active.set(id, true);
      for (const [id, pr] of r.progress) if (id !== r.id) pr.recentActive = false;
      if (r.membership.quorum.voteResult(active) !== 'won') {
        r.becomeFollower(r.term, null);
        return;
      }
    }
    r.leadTransferee = null; // abort a transfer that did not finish in time
  }
  if (r.heartbeatElapsed >= r.cfg.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r, undefined);
  }
}

/** Leader: handles a message of the current term. */
export function stepLeader(r: CoreState, m: Message): void {
  const pr = r.progress.get(m.from);
  switch (m.type) {
    case 'appendResp': {
      if (!pr) return;
      pr.recentActive = true;
      if (m.reject) {
        let next = m.rejectHint ?? 0;
        if ((m.logTerm ?? 0) > 0) next = r.log.findConflictByTerm(next, m.logTerm ?? 0);
        if (pr.maybeDecrTo(m.index ?? 0, next)) {
          if (pr.state === 'replicate') pr.becomeProbe();
          sendAppend(r, m.from);
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
        if (maybeCommit(r)) bcastAppend(r);
        else if (wasPaused) sendAppend(r, m.from);
        while (r.role === 'leader' && sendAppend(r, m.from, false)) {
          /* keep the pipeline full */
        }
        if (r.role === 'leader' && m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
          r.send({ type: 'timeoutNow', from: r.id, to: m.from, term: r.term });
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
      if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
      if (m.context !== undefined) ackRead(r, m.context, m.from);
      return;
    }
    case 'readIndex':
      handleReadIndex(r, m);
      return;
    case 'transferLeader': {
      const target = m.from;
      if (!pr || !isVoterIn(r.membership.conf, target)) return;
      if (target === r.id || target === r.leadTransferee) return;
      r.leadTransferee = target;
      r.electionElapsed = 0;
      if (pr.match === r.log.lastIndex()) r.send({ type: 'timeoutNow', from: r.id, to: target, term: r.term });
      else sendAppend(r, target);
      return;
    }
    default:
      return;
  }
}
