import { JointQuorum } from '../quorum/joint.js';
import { applyConfChange } from './confchange.js';
import type { ConfChange, ConfState, Entry, Snapshot } from './messages.js';

const EMPTY_CONF: ConfState = { voters: [], votersOutgoing: [], learners: [] };

/**
 * A core's membership: the configuration in effect (changes take effect when their entry
 * commits), its quorum, and the history of changes above the latest snapshot (for the
 * snapshot's metadata). Pure bookkeeping: the core decides what a change means for its
 * role and its followers' progress.
 */
export class Membership {
  private current: ConfState;
  private currentQuorum: JointQuorum;
  /** Configuration history (by entry index) above the snapshot. */
  private history: { index: number; conf: ConfState }[] = [];
  private base: ConfState;
  /** Index of the last entry looked at for a membership change. */
  cursor: number;

  /**
   * @param snapshot the latest snapshot, or null (then the configuration starts empty and
   *   comes from the committed log)
   * @param cursor the index from which committed entries are still to be looked at
   */
  constructor(snapshot: Snapshot | null, cursor: number) {
    this.base = snapshot ? snapshot.conf : EMPTY_CONF;
    this.current = this.base;
    this.currentQuorum = toQuorum(this.current);
    this.cursor = cursor;
  }

  /** The configuration in effect. */
  get conf(): ConfState {
    return this.current;
  }

  /** The quorum of the configuration in effect. */
  get quorum(): JointQuorum {
    return this.currentQuorum;
  }

  /**
   * Applies the committed membership change in `e`; returns the new configuration, or null
   * when the change is invalid against the committed configuration (a no-op everywhere).
   */
  apply(e: Entry): ConfState | null {
    let next: ConfState;
    try {
      next = applyConfChange(this.current, e.change as ConfChange);
    } catch {
      return null;
    }
    this.current = next;
    this.currentQuorum = toQuorum(next);
    this.history.push({ index: e.index, conf: next });
    this.cursor = Math.max(this.cursor, e.index);
    return next;
  }

  /** The configuration in effect after the entry at `index`. */
  confAt(index: number): ConfState {
    let conf = this.base;
    for (const h of this.history) if (h.index <= index) conf = h.conf;
    return conf;
  }

  /** A snapshot from the leader replaced the log: its configuration is now in effect. */
  restore(s: Snapshot): void {
    this.current = s.conf;
    this.base = s.conf;
    this.history = [];
    this.cursor = s.index;
    this.currentQuorum = toQuorum(s.conf);
  }

  /** A local snapshot at `snap.index` was taken: drop the history it covers. */
  compacted(snap: Snapshot): void {
    this.base = snap.conf;
    this.history = this.history.filter((h) => h.index > snap.index);
  }
}

function toQuorum(conf: ConfState): JointQuorum {
  return new JointQuorum(new Set(conf.voters), new Set(conf.votersOutgoing));
}
