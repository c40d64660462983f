import type { Message, NodeId } from '../../core/messages.js';
import type { RaftPrng } from '../../raft-prng.js';
import type { Transport } from '../../transport/transport.js';
import type { Clock } from '../../server/clock.js';

/** Fault knobs of a {@link SimNetwork}; change them at any time. */
export interface SimNetworkFaults {
  /** Probability that a message is lost. @default 0 */
  dropRate: number;
  /** Probability that a message is delivered twice. @default 0 */
  duplicateRate: number;
  /** Delivery delay range (uniform); different delays reorder messages. @default 1..10 */
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * A deterministic simulated network on a virtual clock: delays, drops, duplicates,
 * reordering, and partitions including one-way ones. All randomness comes from `prng`.
 */
export class SimNetwork {
  readonly faults: SimNetworkFaults = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 10 };
  private readonly blocked = new Set<string>();
  private readonly handlers = new Map<NodeId, (m: Message) => void>();
  /** Messages delivered so far. */
  delivered = 0;
  /** Messages delivered so far, per message type. */
  readonly deliveredByType = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly prng: RaftPrng,
  ) {}

  /** A transport endpoint for `id` (replaces a previous, closed one after a restart). */
  endpoint(id: NodeId): Transport {
    let open = true;
    return {
      start: (onMessage) => {
        this.handlers.set(id, (m) => {
          if (open) onMessage(m);
        });
      },
      send: (m) => {
        if (open) this.send(m);
      },
      close: () => {
        open = false;
        this.handlers.delete(id);
      },
    };
  }

  /** Blocks messages from `from` to `to` (one way). */
  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}\u0000${to}`);
  }

  /** Splits `a` from `b` in both directions (or only a→b when `oneWay`). */
  partition(a: readonly NodeId[], b: readonly NodeId[], oneWay = false): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y);
        if (!oneWay) this.block(y, x);
      }
    }
  }

  /** Removes every partition. */
  heal(): void {
    this.blocked.clear();
  }

  /** True if `from` can currently reach `to`. */
  connected(from: NodeId, to: NodeId): boolean {
    return !this.blocked.has(`${from}\u0000${to}`);
  }

  private send(m: Message): void {
    if (!this.connected(m.from, m.to)) return;
    if (this.prng.chance(this.faults.dropRate)) return;
    const copies = this.prng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.prng.int(this.faults.minDelayMs, this.faults.maxDelayMs + 1);
      this.clock.setTimeout(() => {
        if (!this.connected(m.from, m.to)) return;
        const h = this.handlers.get(m.to);
        if (!h) return;
        this.delivered++;
        this.deliveredByType.set(m.type, (this.deliveredByType.get(m.type) ?? 0) + 1);
        h(m);
      }, delay);
    }
  }
}
