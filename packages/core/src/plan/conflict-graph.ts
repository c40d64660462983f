import type { ClusterInventory } from '../inventory/inventory.js';
import { ringEndpointResolver, type TokenRing } from './token-ring.js';

/** A token range two nodes both replicate: why they may not run together. */
export interface SharedRange {
  keyspace: string;
  start: string;
  end: string;
}

/**
 * Which of the given nodes replicate a common token range of the given
 * keyspaces (an undirected graph over node ids). Nodes outside `nodeIds`
 * (not targeted) never conflict: they stay up.
 */
export class ConflictGraph {
  /** The nodes, in the order given. */
  readonly nodes: readonly string[];
  readonly #index = new Map<string, number>();
  readonly #adj: Uint8Array;
  readonly #witness = new Map<number, SharedRange>();
  #edges = 0;

  constructor(nodeIds: readonly string[]) {
    this.nodes = [...nodeIds];
    this.nodes.forEach((id, i) => this.#index.set(id, i));
    this.#adj = new Uint8Array(this.nodes.length * this.nodes.length);
  }

  /** Index of a node id, or -1. */
  indexOf(id: string): number {
    return this.#index.get(id) ?? -1;
  }

  /** Records that nodes `a` and `b` (indexes) share `range`; the first shared range found is kept as the witness. */
  connect(a: number, b: number, range: SharedRange): void {
    if (a === b) return;
    const n = this.nodes.length;
    if (this.#adj[a * n + b]) return;
    this.#adj[a * n + b] = 1;
    this.#adj[b * n + a] = 1;
    this.#edges++;
    this.#witness.set(a < b ? a * n + b : b * n + a, range);
  }

  /** Whether nodes `a` and `b` (indexes) conflict. */
  conflicts(a: number, b: number): boolean {
    return this.#adj[a * this.nodes.length + b] === 1;
  }

  /** A token range both nodes replicate, if they conflict. */
  sharedRange(a: number, b: number): SharedRange | undefined {
    const n = this.nodes.length;
    return this.#witness.get(a < b ? a * n + b : b * n + a);
  }

  /** Number of conflicting pairs. */
  get edgeCount(): number {
    return this.#edges;
  }

  /** Neighbour indexes of `v`. */
  neighbours(v: number): number[] {
    const n = this.nodes.length;
    const out: number[] = [];
    for (let u = 0; u < n; u++) if (this.#adj[v * n + u]) out.push(u);
    return out;
  }

  /** The subgraph on `ids` (a subset, in the order given). */
  subgraph(ids: readonly string[]): ConflictGraph {
    const g = new ConflictGraph(ids);
    const idx = ids.map((id) => this.indexOf(id));
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        if (this.conflicts(idx[i]!, idx[j]!)) g.connect(i, j, this.sharedRange(idx[i]!, idx[j]!)!);
      }
    }
    return g;
  }
}

/**
 * The conflict graph of `nodeIds` under `ring`, restricted to `keyspaces`:
 * two nodes conflict when some token range of one of those keyspaces has a
 * replica on both.
 * @throws InvalidInputError `RING_MISMATCH` when the ring names a node the inventory lacks
 */
export function conflictGraph(ring: TokenRing, inventory: ClusterInventory, nodeIds: readonly string[], keyspaces: readonly string[]): ConflictGraph {
  const g = new ConflictGraph(nodeIds);
  const resolve = ringEndpointResolver(inventory);
  const wanted = new Set(keyspaces);
  for (const ks of ring.keyspaces) {
    if (!wanted.has(ks.keyspace)) continue;
    for (const r of ks.ranges) {
      const idx: number[] = [];
      for (const e of r.endpoints) {
        const i = g.indexOf(resolve(e, ks.keyspace).id);
        if (i >= 0 && !idx.includes(i)) idx.push(i);
      }
      if (idx.length < 2) continue;
      const range = { keyspace: ks.keyspace, start: r.start, end: r.end };
      for (let a = 0; a < idx.length; a++) for (let b = a + 1; b < idx.length; b++) g.connect(idx[a]!, idx[b]!, range);
    }
  }
  return g;
}
