/** Membership state of a node in the token ring. */
export type RingState = 'normal' | 'joining' | 'leaving' | 'left';

/** One vnode of the ring. */
export interface RingEntry {
  /** The token as a signed 64-bit integer. */
  token: bigint;
  /** The token as Scylla prints it (decimal). */
  text: string;
  /** Owning node id. */
  node: string;
}

/**
 * The simulator's view of cluster topology (token ownership and membership changes), kept behind
 * this interface so that the gossip-era implementation here can be swapped for one driven by the
 * Raft topology coordinator (a later issue) without touching the REST layer.
 */
export interface SimTopology {
  /** Membership state of a node (`left` once decommissioned or removed). */
  state(node: string): RingState;
  /** Tokens owned by a node (empty once left), sorted. */
  tokensOf(node: string): readonly string[];
  /** Every vnode of token owners (normal and leaving nodes), sorted by token. */
  ring(): readonly RingEntry[];
  /** Nodes in a given state. */
  nodesIn(state: RingState): string[];
  /** Starts a decommission: the node is `leaving` (still owns tokens). */
  beginLeave(node: string): void;
  /** Ends a decommission or removenode: the node's tokens are gone and it is `left`. */
  completeLeave(node: string): void;
  /** Cancels a decommission that failed: the node is `normal` again. */
  cancelLeave(node: string): void;
}

/** A vnode token ring held in memory (gossip-era topology). */
export class TokenRingTopology implements SimTopology {
  readonly #tokens = new Map<string, string[]>();
  readonly #state = new Map<string, RingState>();
  #ring: RingEntry[] | undefined;

  /** @param tokens every node's tokens (decimal strings); all nodes start `normal`. */
  constructor(tokens: ReadonlyMap<string, readonly string[]>) {
    for (const [node, t] of tokens) {
      this.#tokens.set(node, [...t].sort((a, b) => cmp(BigInt(a), BigInt(b))));
      this.#state.set(node, 'normal');
    }
  }

  state(node: string): RingState {
    return this.#state.get(node) ?? 'left';
  }

  tokensOf(node: string): readonly string[] {
    return this.state(node) === 'left' ? [] : (this.#tokens.get(node) ?? []);
  }

  ring(): readonly RingEntry[] {
    if (!this.#ring) {
      const r: RingEntry[] = [];
      for (const [node, tokens] of this.#tokens) {
        const s = this.#state.get(node);
        if (s !== 'normal' && s !== 'leaving') continue;
        for (const t of tokens) r.push({ token: BigInt(t), text: t, node });
      }
      r.sort((a, b) => cmp(a.token, b.token));
      this.#ring = r;
    }
    return this.#ring;
  }

  nodesIn(state: RingState): string[] {
    return [...this.#state].filter(([, s]) => s === state).map(([n]) => n);
  }

  beginLeave(node: string): void {
    if (this.state(node) === 'normal') this.#state.set(node, 'leaving');
  }

  completeLeave(node: string): void {
    this.#state.set(node, 'left');
    this.#ring = undefined;
  }

  cancelLeave(node: string): void {
    if (this.state(node) === 'leaving') this.#state.set(node, 'normal');
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
