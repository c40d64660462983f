import type { CoreState } from './core-state.js';
import { entrySizeBytes, type Entry, type Message, type NodeId, type Snapshot } from './messages.js';

// Log replication (etcd's raft.go append/heartbeat parts): the leader's side sends appends,
// snapshots and heartbeats from each follower's Progress; the follower's side checks and
// stores what arrives. Functions over the shared CoreState; the caller runs the commit
// follow-up (afterCommit) where the commit index may have moved.

/** Appends `entries` to the leader's log and sends them to every follower. */
export function appendEntries(r: CoreState, entries: Entry[]): void {
  r.log.append(entries);
  bcastAppend(r);
}

/** Sends an append (or what is missing) to every follower (leader only). */
export function bcastAppend(r: CoreState): void {
  if (r.role !== 'leader') return;
  for (const id of r.progress.keys()) if (id !== r.id) sendAppend(r, id);
}

/** Sends a heartbeat to every follower; `context` tags a ReadIndex confirmation round. */
export function bcastHeartbeat(r: CoreState, context: string | undefined): void {
  for (const [id, pr] of r.progress) {
    if (id === r.id) continue;
    r.send({
      type: 'heartbeat',
      from: r.id,
      to: id,
      term: r.term,
      commit: Math.min(pr.match, r.log.committed),
      ...(context !== undefined ? { context } : {}),
    });
  }
}

/** Sends an append (or a snapshot) to `to`; returns true if a message was sent. */
export function sendAppend(r: CoreState, to: NodeId, sendIfEmpty = true): boolean {
  const pr = r.progress.get(to);
  if (!pr || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  const entries = prevTerm === undefined ? undefined : r.log.slice(pr.next, r.log.lastIndex() + 1, r.cfg.maxSizePerMsgBytes);
  if (prevTerm === undefined || entries === undefined) {
    const snap = r.log.snapshot;
    if (!snap || !pr.recentActive) return false;
    pr.becomeSnapshot(snap.index);
    r.send({ type: 'snapshot', from: r.id, to, term: r.term, snapshot: snap });
    return true;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  let bytes = 0;
  for (const e of entries) bytes += entrySizeBytes(e);
  const last = entries.length > 0 ? (entries[entries.length - 1] as Entry).index : prevIndex;
  pr.sentEntries(last, bytes, entries.length);
  r.send({
    type: 'append',
    from: r.id,
    to,
    term: r.term,
    index: prevIndex,
    logTerm: prevTerm,
    entries,
    commit: r.log.committed,
  });
  return true;
}

/** Follower: stores the entries of an append if its log matches, and answers. */
export function handleAppend(r: CoreState, m: Message): void {
  const prevIndex = m.index ?? 0;
  if (prevIndex < r.log.committed) {
    r.send({ type: 'appendResp', from: r.id, to: m.from, term: r.term, index: r.log.committed });
    return;
  }
  const entries = m.entries ?? [];
  const lastNew = r.log.maybeAppend(prevIndex, m.logTerm ?? 0, entries);
  if (lastNew !== null) {
    r.log.commitTo(Math.min(m.commit ?? 0, lastNew));
    r.send({ type: 'appendResp', from: r.id, to: m.from, term: r.term, index: lastNew });
    return;
  }
  const hintIndex = r.log.findConflictByTerm(Math.min(prevIndex, r.log.lastIndex()), m.logTerm ?? 0);
  const hintTerm = r.log.term(hintIndex) ?? 0;
  r.send({
    type: 'appendResp',
    from: r.id,
    to: m.from,
    term: r.term,
    index: prevIndex,
    reject: true,
    rejectHint: hintIndex,
    logTerm: hintTerm,
  });
}

/** Follower: installs a snapshot from the leader (or fast-forwards when the log has it), and answers. */
export function handleSnapshot(r: CoreState, m: Message): void {
  const s = m.snapshot as Snapshot;
  if (s.index <= r.log.committed) {
    r.send({ type: 'appendResp', from: r.id, to: m.from, term: r.term, index: r.log.committed });
    return;
  }
  if (r.log.matchTerm(s.index, s.term)) {
    // We already have the entries: just fast-forward the commit index.
    r.log.commitTo(s.index);
    r.send({ type: 'appendResp', from: r.id, to: m.from, term: r.term, index: r.log.committed });
    return;
  }
  r.log.restore(s);
  r.membership.restore(s);
  r.send({ type: 'appendResp', from: r.id, to: m.from, term: r.term, index: r.log.lastIndex() });
}
