import type { Entry, NodeId } from '../core/messages.js';
import type { ProposalPosition, RaftCore } from '../core/raft-core.js';
import { CommitStatusUnknownError, NotLeaderError, ProposalDroppedError, RaftError } from '../errors.js';
import type { Completion } from './raft-server-options.js';

interface PendingProposal {
  readonly term: number;
  readonly deadline: number;
  readonly done: Completion<unknown>;
  readonly conf: boolean;
}

/**
 * A leader's proposals from the call to their answer. A proposal is first buffered (every
 * proposal of one event-loop turn goes into one append and one fsync), then pending at its
 * log index until the entry there is applied. The answers say where the caller stands:
 * - not appended (buffered when leadership is lost): NotLeaderError, not applied;
 * - applied: the state machine's result; another term's entry applied at that index:
 *   ProposalDroppedError, not applied;
 * - appended but not known committed when leadership is lost (check-quorum step-down, a
 *   higher term, removal), overtaken by a snapshot, or past the timeout:
 *   CommitStatusUnknownError, maybe applied.
 * A membership change that enters joint consensus is answered once joint consensus is left.
 */
export class ProposalTracker {
  private buffered: { data: Uint8Array; done: Completion<unknown> }[] = [];
  private readonly pending = new Map<number, PendingProposal>();
  private awaitingLeave: Completion<unknown>[] = [];

  /**
   * @param id this member (for messages)
   * @param timeoutMs time after which an unapplied proposal answers "unknown", in ms
   */
  constructor(
    private readonly id: NodeId,
    private readonly timeoutMs: number,
  ) {}

  /** True when proposals wait for the next flush. */
  get hasBuffered(): boolean {
    return this.buffered.length > 0;
  }

  /** Queues a command for the next {@link flush}. */
  buffer(data: Uint8Array, done: Completion<unknown>): void {
    this.buffered.push({ data, done });
  }

  /** Appends every buffered command in one batch and tracks each at its index. */
  flush(c: RaftCore, now: number): void {
    if (this.buffered.length === 0) return;
    const batch = this.buffered;
    this.buffered = [];
    let pos: ProposalPosition;
    try {
      pos = c.propose(batch.map((b) => b.data));
    } catch (e) {
      for (const b of batch) b.done(e as RaftError);
      return;
    }
    const deadline = now + this.timeoutMs;
    batch.forEach((b, i) => this.pending.set(pos.index + i, { term: pos.term, deadline, done: b.done, conf: false }));
  }

  /** Tracks a membership change appended at `pos`. */
  trackConfChange(pos: ProposalPosition, now: number, done: Completion<unknown>): void {
    this.pending.set(pos.index, { term: pos.term, deadline: now + this.timeoutMs, done, conf: true });
  }

  /** Answers the proposal at `e.index` (if this member made it) once the entry is applied. */
  onApplied(c: RaftCore, e: Entry, result: unknown, error: RaftError | null): void {
    if (e.type === 'conf' && c.confState().votersOutgoing.length === 0 && this.awaitingLeave.length > 0) {
      const w = this.awaitingLeave;
      this.awaitingLeave = [];
      for (const d of w) d(null);
    }
    const p = this.pending.get(e.index);
    if (!p) return;
    this.pending.delete(e.index);
    if (p.term !== e.term) return p.done(new ProposalDroppedError());
    if (error) return p.done(error);
    if (p.conf && c.confState().votersOutgoing.length > 0) this.awaitingLeave.push(p.done);
    else p.done(null, result);
  }

  /** A snapshot up to `index` replaced the log: proposals at or below it cannot be matched any more. */
  onSnapshot(index: number): void {
    for (const [idx, p] of this.pending) {
      if (idx > index) continue;
      this.pending.delete(idx);
      p.done(new CommitStatusUnknownError('a snapshot from the leader overtook the proposal; its outcome is unknown'));
    }
  }

  /** This member is no longer leader: buffered proposals were never appended. */
  rejectBuffered(leader: NodeId | null): void {
    if (this.buffered.length === 0) return;
    const b = this.buffered;
    this.buffered = [];
    for (const x of b) x.done(new NotLeaderError(leader, `member ${this.id}`));
  }

  /**
   * A leader that stepped down (check-quorum, a higher term, removal) answers at once every
   * proposal it appended but does not know committed: the outcome is unknown (a later leader
   * may still commit the entry), and waiting for the timeout would only make the caller
   * wait. Proposals already known committed stay: they are applied here soon.
   */
  failLost(c: RaftCore): void {
    const leader = c.currentRole === 'leader';
    for (const [idx, p] of this.pending) {
      if (idx <= c.log.committed || (leader && p.term === c.currentTerm)) continue;
      this.pending.delete(idx);
      p.done(
        new CommitStatusUnknownError(
          `member ${this.id} lost the leadership of term ${p.term} before index ${idx} was known to be committed; it may still be applied`,
        ),
      );
    }
  }

  /** Answers the proposals past their deadline "unknown". */
  sweep(now: number): void {
    for (const [idx, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(idx);
      p.done(new CommitStatusUnknownError(`proposal at index ${idx} was not applied within ${this.timeoutMs} ms; it may still be applied`));
    }
  }

  /** Answers everything with `mk()` (the server stops). */
  failAll(mk: () => RaftError): void {
    const b = this.buffered;
    this.buffered = [];
    for (const x of b) x.done(mk());
    const ps = [...this.pending.values()];
    this.pending.clear();
    for (const p of ps) p.done(mk());
    const al = this.awaitingLeave;
    this.awaitingLeave = [];
    for (const d of al) d(mk());
  }
}
