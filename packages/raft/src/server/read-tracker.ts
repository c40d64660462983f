import type { NodeId } from '../core/messages.js';
import type { RaftCore } from '../core/raft-core.js';
import type { ReadState } from '../core/ready.js';
import { NotLeaderError, RaftTimeoutError, type RaftError } from '../errors.js';
import type { Completion } from './raft-server-options.js';

interface PendingRead {
  /** The read index once the leader answered; -1 before. */
  readIndex: number;
  /** When the ReadIndex request was last sent (resent while unanswered). */
  sentAt: number;
  readonly deadline: number;
  readonly done: Completion<number>;
}

/**
 * Read barriers (ReadIndex) from the call to their answer: the request goes to the leader
 * (or is served by it), the answer names a read index, and the barrier resolves once this
 * member has applied up to it. Unanswered requests are sent again every `resendMs` (a cut
 * link may have lost them) and fail with NotLeaderError at once when the leadership they
 * were sent to changes, or with RaftTimeoutError after `timeoutMs`.
 */
export class ReadTracker {
  private readonly reads = new Map<string, PendingRead>();
  private counter = 0;
  private incarnation = '';

  /**
   * @param id this member
   * @param timeoutMs time after which a read barrier fails, in ms
   * @param resendMs time after which an unanswered ReadIndex request is sent again, in ms
   */
  constructor(
    private readonly id: NodeId,
    private readonly timeoutMs: number,
    private readonly resendMs: number,
  ) {}

  /**
   * Sets the tag of this run of the member. It keeps an answer to a read of an earlier run
   * (the member crashed and restarted before the answer arrived) from resolving a new read.
   */
  setIncarnation(tag: string): void {
    this.incarnation = tag;
  }

  /** Sends a ReadIndex request (or fails `done` at once when no leader is known). */
  start(c: RaftCore, now: number, done: Completion<number>): void {
    const ctx = `${this.id}.${this.incarnation}#${++this.counter}`;
    try {
      c.readIndex(ctx);
    } catch (e) {
      return done(e as RaftError);
    }
    this.reads.set(ctx, { readIndex: -1, sentAt: now, deadline: now + this.timeoutMs, done });
  }

  /** Records the leader's answers. */
  onReadStates(states: readonly ReadState[]): void {
    for (const rs of states) {
      const r = this.reads.get(rs.context);
      if (r) r.readIndex = rs.index;
    }
  }

  /** Resolves every answered read whose index is applied. */
  release(appliedIndex: number): void {
    for (const [ctx, r] of this.reads) {
      if (r.readIndex >= 0 && r.readIndex <= appliedIndex) {
        this.reads.delete(ctx);
        r.done(null, appliedIndex);
      }
    }
  }

  /** ReadIndex requests not yet answered are lost with the leadership they were sent to. */
  onLeadershipChange(leader: NodeId | null): void {
    for (const [ctx, r] of this.reads) {
      if (r.readIndex >= 0) continue;
      this.reads.delete(ctx);
      r.done(new NotLeaderError(leader, `member ${this.id} (leadership changed during the read)`));
    }
  }

  /** Fails reads past their deadline; resends unanswered ones. */
  sweep(now: number, c: RaftCore | null): void {
    for (const [ctx, r] of this.reads) {
      if (r.deadline <= now) {
        this.reads.delete(ctx);
        r.done(new RaftTimeoutError(`read barrier on ${this.id} did not complete within ${this.timeoutMs} ms; retry`));
      } else if (r.readIndex < 0 && now - r.sentAt >= this.resendMs) {
        // The request or its answer may have been lost (a cut link): ask again. Answers
        // carry the same context, so a late first answer is as good as the second.
        r.sentAt = now;
        try {
          c?.readIndex(ctx);
        } catch {
          /* no leader known right now; the next sweep tries again */
        }
      }
    }
  }

  /** Answers everything with `mk()` (the server stops). */
  failAll(mk: () => RaftError): void {
    const rs = [...this.reads.values()];
    this.reads.clear();
    for (const r of rs) r.done(mk());
  }
}
