import type { CoreState } from './core-state.js';
import type { Message, NodeId } from './messages.js';
import { bcastHeartbeat } from './replication.js';

// ReadIndex (thesis §6.4, etcd's ReadOnlySafe): the leader answers a read with its commit
// index once a quorum has confirmed, through a heartbeat round, that it is still the
// leader; before its first entry of the term commits it queues the request.

/** Leader: serves a ReadIndex request from `m.from` (possibly itself). */
export function handleReadIndex(r: CoreState, m: Message): void {
  const context = m.context ?? '';
  if (r.log.term(r.log.committed) !== r.term) {
    r.reads.queue(m); // answer once this term's no-op commits
    return;
  }
  const index = r.log.committed;
  const acks = new Map<NodeId, boolean>([[r.id, true]]);
  if (r.membership.quorum.voteResult(acks) === 'won') {
    answerRead(r, m.from, index, context);
    return;
  }
  const roundCtx = r.reads.add(r.id, r.term, { index, from: m.from, context, acks });
  bcastHeartbeat(r, roundCtx);
}

/** Leader: a follower acknowledged the heartbeat round `roundCtx`; answers the reads it confirms. */
export function ackRead(r: CoreState, roundCtx: string, from: NodeId): void {
  const released = r.reads.ack(roundCtx, from, (acks) => r.membership.quorum.voteResult(acks) === 'won');
  for (const req of released) answerRead(r, req.from, req.index, req.context);
}

/** Leader: serves the requests queued until this term's first entry committed. */
export function releaseQueuedReads(r: CoreState): void {
  if (r.reads.hasQueued && r.log.term(r.log.committed) === r.term) {
    for (const m of r.reads.takeQueued()) handleReadIndex(r, m);
  }
}

function answerRead(r: CoreState, from: NodeId, index: number, context: string): void {
  if (from === r.id) r.readStates.push({ index, context });
  else r.send({ type: 'readIndexResp', from: r.id, to: from, term: r.term, index, context });
}
