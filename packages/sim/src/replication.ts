import type { SimKeyspaceSpec, SimReplication } from './sim-options.js';
import type { RingEntry } from './topology.js';

/** Placement facts of a node that replica placement needs. */
export interface PlacementNode {
  dc: string;
  rack: string;
}

/** The strategy class name without the Java package prefix. */
export function strategyName(r: SimReplication): string {
  const c = String(r.class);
  const i = c.lastIndexOf('.');
  return i >= 0 ? c.slice(i + 1) : c;
}

/** Whether the keyspace is replicated only locally (LocalStrategy). */
export function isLocalStrategy(ks: SimKeyspaceSpec): boolean {
  return strategyName(ks.replication) === 'LocalStrategy';
}

/**
 * Replica node ids of the token range that ends at `ring[index]`, by the keyspace's strategy:
 * SimpleStrategy takes the next RF distinct nodes clockwise; NetworkTopologyStrategy does so per
 * datacenter, preferring nodes in racks not yet used (as Cassandra/Scylla do); EverywhereStrategy
 * takes every token owner; LocalStrategy the node itself (callers pass `localNode`).
 */
export function replicasOf(
  ks: SimKeyspaceSpec,
  ring: readonly RingEntry[],
  index: number,
  nodes: ReadonlyMap<string, PlacementNode>,
  localNode?: string,
): string[] {
  const strategy = strategyName(ks.replication);
  if (strategy === 'LocalStrategy') return localNode ? [localNode] : [];
  const n = ring.length;
  if (n === 0) return [];
  if (strategy === 'EverywhereStrategy') {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(ring[(index + i) % n]!.node);
    return [...seen];
  }
  if (strategy === 'SimpleStrategy') {
    const rf = Number(ks.replication['replication_factor'] ?? 1);
    const out: string[] = [];
    for (let i = 0; i < n && out.length < rf; i++) {
      const node = ring[(index + i) % n]!.node;
      if (!out.includes(node)) out.push(node);
    }
    return out;
  }
  // NetworkTopologyStrategy
  const rfByDc = new Map<string, number>();
  for (const [k, v] of Object.entries(ks.replication)) {
    if (k === 'class' || k === 'replication_factor') continue;
    const rf = Number(v);
    if (rf > 0) rfByDc.set(k, rf);
  }
  const { racksInDc, nodesInDc } = ringLayout(ring, nodes);
  const chosen = new Map<string, string[]>();
  const usedRacks = new Map<string, Set<string>>();
  const skipped = new Map<string, string[]>();
  const out: string[] = [];
  const done = (dc: string) => (chosen.get(dc)?.length ?? 0) >= Math.min(rfByDc.get(dc) ?? 0, nodesInDc.get(dc)?.size ?? 0);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    if ([...rfByDc.keys()].every(done)) break;
    const node = ring[(index + i) % n]!.node;
    if (seen.has(node)) continue;
    seen.add(node);
    const p = nodes.get(node);
    if (!p || !rfByDc.has(p.dc) || done(p.dc)) continue;
    const racks = usedRacks.get(p.dc) ?? usedRacks.set(p.dc, new Set()).get(p.dc)!;
    const list = chosen.get(p.dc) ?? chosen.set(p.dc, []).get(p.dc)!;
    const allRacksUsed = racks.size >= (racksInDc.get(p.dc)?.size ?? 0);
    if (!racks.has(p.rack) || allRacksUsed) {
      list.push(node);
      out.push(node);
      racks.add(p.rack);
      if (racks.size >= (racksInDc.get(p.dc)?.size ?? 0)) {
        // every rack has a replica now: fill from the nodes skipped so far, in ring order
        const sk = skipped.get(p.dc) ?? [];
        while (sk.length > 0 && !done(p.dc)) {
          const s = sk.shift()!;
          list.push(s);
          out.push(s);
        }
      }
    } else {
      (skipped.get(p.dc) ?? skipped.set(p.dc, []).get(p.dc)!).push(node);
    }
  }
  return out;
}

interface RingLayout {
  racksInDc: Map<string, Set<string>>;
  nodesInDc: Map<string, Set<string>>;
}
const layouts = new WeakMap<readonly RingEntry[], RingLayout>();

/** Racks and nodes per datacenter among the ring's owners (cached per ring array). */
function ringLayout(ring: readonly RingEntry[], nodes: ReadonlyMap<string, PlacementNode>): RingLayout {
  let l = layouts.get(ring);
  if (!l) {
    l = { racksInDc: new Map(), nodesInDc: new Map() };
    for (const e of ring) {
      const p = nodes.get(e.node);
      if (!p) continue;
      (l.racksInDc.get(p.dc) ?? l.racksInDc.set(p.dc, new Set()).get(p.dc)!).add(p.rack);
      (l.nodesInDc.get(p.dc) ?? l.nodesInDc.set(p.dc, new Set()).get(p.dc)!).add(e.node);
    }
    layouts.set(ring, l);
  }
  return l;
}
