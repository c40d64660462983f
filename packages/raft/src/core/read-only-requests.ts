import type { Message, NodeId } from './messages.js';

/** A ReadIndex request waiting for a quorum of heartbeat acknowledgements. */
export interface PendingReadIndex {
  /** The commit index when the request arrived: the read index once confirmed. */
  readonly index: number;
  /** Who asked (this member or a follower). */
  readonly from: NodeId;
  /** The requester's context, echoed in the answer. */
  readonly context: string;
  readonly acks: Map<NodeId, boolean>;
}

/**
 * A leader's ReadIndex bookkeeping (etcd's read_only.go): requests waiting for a quorum to
 * confirm the leadership through a heartbeat round, in arrival order, and requests queued
 * until the leader's first entry of its term commits. Cleared on every role change.
 */
export class ReadOnlyRequests {
  private pending: PendingReadIndex[] = [];
  /** Heartbeat round context -> position in `pending` (plus `base`). */
  private readonly rounds = new Map<string, number>();
  private base = 0;
  private queued: Message[] = [];
  private counter = 0;

  /** Forgets every request (the role changed; requesters resend or time out). */
  reset(): void {
    this.pending = [];
    this.rounds.clear();
    this.base = 0;
    this.queued = [];
  }

  /** Queues a request until this term's first entry commits. */
  queue(m: Message): void {
    this.queued.push(m);
  }

  /** Takes the queued requests. */
  takeQueued(): Message[] {
    const q = this.queued;
    this.queued = [];
    return q;
  }

  /** True when requests are queued. */
  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Registers a request; returns the context of the heartbeat round that confirms it. */
  add(self: NodeId, term: number, req: PendingReadIndex): string {
    const roundCtx = `${self}/${term}/${++this.counter}`;
    this.pending.push(req);
    this.rounds.set(roundCtx, this.pending.length - 1 + this.base);
    return roundCtx;
  }

  /**
   * Records `from`'s acknowledgement of a heartbeat round. Once `confirmed` says the
   * request's acknowledgements are a quorum, returns it and every earlier request (they
   * were all issued under this leadership), in order; else returns nothing.
   */
  ack(roundCtx: string, from: NodeId, confirmed: (acks: Map<NodeId, boolean>) => boolean): PendingReadIndex[] {
    const pos = this.rounds.get(roundCtx);
    if (pos === undefined) return [];
    const i = pos - this.base;
    const req = this.pending[i];
    if (!req) return [];
    req.acks.set(from, true);
    if (!confirmed(req.acks)) return [];
    const released = this.pending.splice(0, i + 1);
    this.base += i + 1;
    for (const [k, p] of this.rounds) if (p < this.base) this.rounds.delete(k);
    return released;
  }
}
