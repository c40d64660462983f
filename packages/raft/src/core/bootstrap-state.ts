import { InvalidConfChangeError } from '../errors.js';
import { EMPTY_BYTES, type Entry, type HardState, type NodeId, type Snapshot } from './messages.js';

/** The durable state a core is (re)built from. */
export interface CoreBootState {
  readonly hardState: HardState;
  /** Latest snapshot, or null when none (then `conf` is the bootstrap configuration). */
  readonly snapshot: Snapshot | null;
  /** Index and term of the entry before `entries[0]` (compaction point). */
  readonly offset: number;
  readonly offsetTerm: number;
  readonly entries: Entry[];
}

/**
 * The durable state of a founding member before its first start: one committed
 * membership entry (index 1, term 1) listing the founding voters and learners. Every
 * founder writes the identical entry; members that join later receive it by replication.
 */
export function bootstrapState(voters: readonly NodeId[], learners: readonly NodeId[] = []): CoreBootState {
  if (voters.length === 0) throw new InvalidConfChangeError('bootstrap needs at least one voter');
  const steps = [
    ...[...voters].sort().map((node) => ({ type: 'addVoter' as const, node })),
    ...[...learners].sort().map((node) => ({ type: 'addLearner' as const, node })),
  ];
  return {
    hardState: { term: 1, vote: null, commit: 1 },
    snapshot: null,
    offset: 0,
    offsetTerm: 0,
    entries: [{ index: 1, term: 1, type: 'conf', data: EMPTY_BYTES, change: { steps } }],
  };
}
