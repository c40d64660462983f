import type { NodeId } from '../core/messages.js';
import type { RaftCore } from '../core/raft-core.js';
import { RaftTimeoutError, type RaftError } from '../errors.js';
import type { Completion } from './raft-server-options.js';

/**
 * Leadership transfers asked of this member: each resolves when this member sees its
 * target as leader, or fails with RaftTimeoutError after `timeoutMs`.
 */
export class LeadershipTransfers {
  private transfers: { target: NodeId; deadline: number; done: Completion<void> }[] = [];

  /** @param timeoutMs time after which a transfer fails, in ms */
  constructor(private readonly timeoutMs: number) {}

  /**
   * The voter to hand leadership to when none is named: the other voter with the highest
   * replicated index (as the leader sees it), or undefined when there is no other voter.
   */
  static pickTarget(c: RaftCore, self: NodeId): NodeId | undefined {
    let best = -1;
    let target: NodeId | undefined;
    const conf = c.confState();
    for (const id of new Set([...conf.voters, ...conf.votersOutgoing])) {
      if (id === self) continue;
      const m = c.progressOf(id)?.match ?? 0;
      if (m > best) {
        best = m;
        target = id;
      }
    }
    return target;
  }

  /** Tracks a transfer to `target` started at `now`. */
  add(target: NodeId, now: number, done: Completion<void>): void {
    this.transfers.push({ target, deadline: now + this.timeoutMs, done });
  }

  /** Resolves the transfers whose target is now the leader. */
  onLeader(leader: NodeId | null): void {
    const t = this.transfers;
    this.transfers = [];
    for (const x of t) {
      if (x.target === leader) x.done(null);
      else this.transfers.push(x);
    }
  }

  /** Fails the transfers past their deadline. */
  sweep(now: number): void {
    if (this.transfers.length === 0) return;
    const t = this.transfers;
    this.transfers = [];
    for (const x of t) {
      if (x.deadline > now) this.transfers.push(x);
      else x.done(new RaftTimeoutError(`leadership transfer to ${x.target} did not complete within ${this.timeoutMs} ms`));
    }
  }

  /** Answers everything with `mk()` (the server stops). */
  failAll(mk: () => RaftError): void {
    const t = this.transfers;
    this.transfers = [];
    for (const x of t) x.done(mk());
  }
}
