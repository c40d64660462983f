import { applyConf, maybeLeaveJoint } from './conf-change.js';
import type { CoreState } from './core-state.js';
import { releaseQueuedReads } from './read-index.js';

// Commitment: the leader advances the commit index by counting replicas, and every member
// acts on newly committed entries (membership changes take effect; a leader serves the
// reads it queued and leaves joint consensus).

/** Leader: advances the commit index by counting replicas of entries of the current term only. */
export function maybeCommit(r: CoreState): boolean {
  const idx = r.membership.quorum.committedIndex((id) => r.progress.get(id)?.match ?? 0);
  if (idx > r.log.committed && r.log.term(idx) === r.term) {
    r.log.commitTo(idx);
    afterCommit(r);
    return true;
  }
  return false;
}

/** Applies newly committed membership changes and, on a leader, releases queued reads and leaves joint consensus. */
export function afterCommit(r: CoreState): void {
  const m = r.membership;
  while (m.cursor < r.log.committed) {
    const i = ++m.cursor;
    const e = r.log.entry(i);
    if (e && e.type === 'conf' && e.change) applyConf(r, e);
  }
  if (r.role !== 'leader') return;
  releaseQueuedReads(r);
  maybeLeaveJoint(r);
}
