import { Prng } from '../util/prng.js';
import type { ConflictGraph } from './conflict-graph.js';

/** The result of {@link colourConflicts}. */
export interface ReplicaColouring {
  /** The sets, each a list of node indexes in ascending order; no two nodes of a set conflict. */
  sets: number[][];
  /** Largest clique found (node indexes): that many sets are needed at least. */
  clique: number[];
  /**
   * The fractional colouring bound when it was computed (every maximal
   * conflict-free set enumerated): node weights under which no conflict-free
   * set weighs more than `1 / fractionalBound` of the total, so at least
   * `ceil(fractionalBound)` sets are needed.
   */
  fractionalBound?: number;
  /** The proven lower bound on the number of sets: max(clique size, ceil(fractionalBound)). */
  lowerBound: number;
  /** Whether `sets.length` is proven minimal (it equals `lowerBound`, or the exact search finished). */
  optimal: boolean;
}

/** Options of {@link colourConflicts}. */
export interface ColouringOptions {
  /** Step budget of the exact searches (clique and colouring), each. @default 200000 */
  searchBudget?: number;
  /** Most maximal conflict-free sets enumerated for the fractional bound (skipped beyond). @default 100000 */
  maxIndependentSets?: number;
}

/**
 * Splits the graph's nodes into as few conflict-free sets as it can:
 * DSATUR first (deterministic: ties go to the higher degree, then the lower
 * index), then tabu search for one set fewer at a time, then, when that is
 * still more than the proven lower bound, an exact DSATUR branch and bound
 * within `searchBudget` steps. The largest clique
 * (branch and bound with a colouring bound, same budget) is the proof of a
 * lower bound: its nodes pairwise share a range, so they run one at a time.
 */
export function colourConflicts(g: ConflictGraph, options: ColouringOptions = {}): ReplicaColouring {
  const n = g.nodes.length;
  if (n === 0) return { sets: [], clique: [], lowerBound: 0, optimal: true };
  const budget = options.searchBudget ?? 200_000;
  const nbrs = Array.from({ length: n }, (_, v) => g.neighbours(v));
  const clique = maxClique(g, nbrs, budget);
  let colours = dsatur(n, nbrs);
  let k = Math.max(...colours) + 1;
  let lowerBound = clique.length;
  let fractionalBound: number | undefined;
  if (k > lowerBound) {
    fractionalBound = fractionalColouringBound(g, options.maxIndependentSets ?? 100_000);
    if (fractionalBound !== undefined) lowerBound = Math.max(lowerBound, Math.ceil(fractionalBound - 1e-9));
  }
  // Local search (TabuCol) for fewer sets than DSATUR found, down towards the bound.
  for (let target = k - 1; target >= lowerBound && target >= 1; target--) {
    const found = tabuColouring(n, nbrs, target, budget * 5);
    if (!found) break;
    colours = found;
    k = Math.max(...colours) + 1;
  }
  let optimal = k === lowerBound;
  if (!optimal) {
    const exact = exactColouring(n, nbrs, k, lowerBound, budget);
    if (exact.colours) {
      colours = exact.colours;
      k = Math.max(...colours) + 1;
    }
    optimal = exact.complete || k === lowerBound;
    if (exact.complete) lowerBound = k;
  }
  const sets: number[][] = Array.from({ length: k }, () => []);
  colours.forEach((c, v) => sets[c]!.push(v));
  const out: ReplicaColouring = { sets: sets.filter((s) => s.length > 0), clique, lowerBound, optimal };
  if (fractionalBound !== undefined) out.fractionalBound = fractionalBound;
  return out;
}

/**
 * A certified lower bound on the number of conflict-free sets: for node
 * weights y, no set can weigh more than the heaviest maximal conflict-free
 * set w*, so at least sum(y) / w* sets are needed. The weights come from
 * multiplicative updates (the heaviest set's nodes lose weight each round),
 * which approach the fractional chromatic number. The maximal conflict-free
 * sets are enumerated exactly (Bron-Kerbosch with pivoting on the
 * complement); `undefined` when there are more than `maxSets` of them.
 */
function fractionalColouringBound(g: ConflictGraph, maxSets: number): number | undefined {
  const n = g.nodes.length;
  const free = (u: number, v: number) => u !== v && !g.conflicts(u, v);
  const sets: number[][] = [];
  let overflow = false;
  const bk = (r: number[], p: number[], x: number[]): void => {
    if (overflow) return;
    if (p.length === 0 && x.length === 0) {
      if (sets.length >= maxSets) overflow = true;
      else sets.push(r);
      return;
    }
    let pivot = -1;
    let most = -1;
    for (const u of p.concat(x)) {
      let c = 0;
      for (const v of p) if (free(u, v)) c++;
      if (c > most) {
        most = c;
        pivot = u;
      }
    }
    let rest = p;
    let done = x;
    for (const v of p.filter((v) => !free(pivot, v))) {
      bk([...r, v], rest.filter((u) => free(u, v)), done.filter((u) => free(u, v)));
      if (overflow) return;
      rest = rest.filter((u) => u !== v);
      done = [...done, v];
    }
  };
  bk([], Array.from({ length: n }, (_, v) => v), []);
  if (overflow || sets.length === 0) return undefined;
  const y = new Float64Array(n).fill(1);
  const cells = sets.reduce((a, s) => a + s.length, 0);
  const rounds = Math.max(50, Math.min(3000, Math.floor(30_000_000 / Math.max(1, cells))));
  let best = 0;
  for (let it = 0; it < rounds; it++) {
    let heaviest = 0;
    let which = sets[0]!;
    for (const s of sets) {
      let w = 0;
      for (const v of s) w += y[v]!;
      if (w > heaviest) {
        heaviest = w;
        which = s;
      }
    }
    let total = 0;
    for (let v = 0; v < n; v++) total += y[v]!;
    if (total / heaviest > best) best = total / heaviest;
    for (const v of which) y[v]! *= 0.95;
  }
  return best;
}

function dsatur(n: number, nbrs: number[][]): number[] {
  const colour = new Array<number>(n).fill(-1);
  const seen = Array.from({ length: n }, () => new Set<number>());
  for (let step = 0; step < n; step++) {
    let best = -1;
    for (let v = 0; v < n; v++) {
      if (colour[v] !== -1) continue;
      if (best === -1 || seen[v]!.size > seen[best]!.size || (seen[v]!.size === seen[best]!.size && nbrs[v]!.length > nbrs[best]!.length)) best = v;
    }
    let c = 0;
    while (seen[best]!.has(c)) c++;
    colour[best] = c;
    for (const u of nbrs[best]!) seen[u]!.add(c);
  }
  return colour;
}

/**
 * A colouring with `k` colours found by tabu search (Hertz and de Werra's
 * TabuCol), or `undefined` within `budget` vertex-colour evaluations.
 * Deterministic: starts from the DSATUR-like greedy order and breaks ties
 * with a fixed-seed PRNG.
 */
function tabuColouring(n: number, nbrs: number[][], k: number, budget: number): number[] | undefined {
  const prng = new Prng(0x5eed ^ (n * 31 + k));
  const colour = new Int32Array(n);
  for (let v = 0; v < n; v++) colour[v] = prng.nextUint32() % k;
  const gamma = new Int32Array(n * k); // gamma[v * k + c]: neighbours of v coloured c
  for (let v = 0; v < n; v++) for (const u of nbrs[v]!) gamma[v * k + colour[u]!]!++;
  let conflicts = 0;
  for (let v = 0; v < n; v++) conflicts += gamma[v * k + colour[v]!]!;
  conflicts /= 2;
  let best = conflicts;
  const tabu = new Int32Array(n * k);
  let spent = 0;
  for (let it = 1; conflicts > 0 && spent < budget; it++) {
    let bv = -1;
    let bc = -1;
    let bd = Infinity;
    let ties = 0;
    let inConflict = 0;
    for (let v = 0; v < n; v++) {
      const own = gamma[v * k + colour[v]!]!;
      if (own === 0) continue;
      inConflict++;
      for (let c = 0; c < k; c++) {
        if (c === colour[v]) continue;
        spent++;
        const d = gamma[v * k + c]! - own;
        if (tabu[v * k + c]! > it && conflicts + d >= best) continue;
        if (d < bd) {
          bd = d;
          bv = v;
          bc = c;
          ties = 1;
        } else if (d === bd && prng.nextUint32() % ++ties === 0) {
          bv = v;
          bc = c;
        }
      }
    }
    if (bv < 0) continue;
    const old = colour[bv]!;
    colour[bv] = bc;
    for (const u of nbrs[bv]!) {
      gamma[u * k + old]!--;
      gamma[u * k + bc]!++;
    }
    conflicts += bd;
    tabu[bv * k + old] = it + Math.floor(0.6 * inConflict) + (prng.nextUint32() % 10);
    if (conflicts < best) best = conflicts;
  }
  if (conflicts > 0) return undefined;
  // Renumber so that colours are 0..k'-1.
  const map = new Map<number, number>();
  return Array.from(colour, (c) => map.get(c) ?? map.set(c, map.size).get(c)!);
}

/** Exact colouring with fewer than `upper` colours, by DSATUR branch and bound; stops at `lower` or after `budget` steps. */
function exactColouring(n: number, nbrs: number[][], upper: number, lower: number, budget: number): { colours?: number[]; complete: boolean } {
  const colour = new Array<number>(n).fill(-1);
  // count[v * n + c]: neighbours of v coloured c
  const count = new Int32Array(n * n);
  const sat = new Int32Array(n);
  let bestK = upper;
  let best: number[] | undefined;
  let steps = 0;
  let exhausted = false;
  const pick = (): number => {
    let b = -1;
    for (let v = 0; v < n; v++) {
      if (colour[v] !== -1) continue;
      if (b === -1 || sat[v]! > sat[b]! || (sat[v] === sat[b] && nbrs[v]!.length > nbrs[b]!.length)) b = v;
    }
    return b;
  };
  const assign = (v: number, c: number, delta: 1 | -1) => {
    for (const u of nbrs[v]!) {
      const i = u * n + c;
      if (delta === 1) {
        if (count[i] === 0) sat[u]!++;
        count[i]!++;
      } else {
        count[i]!--;
        if (count[i] === 0) sat[u]!--;
      }
    }
  };
  const search = (coloured: number, used: number): void => {
    if (exhausted || bestK <= lower) return;
    if (++steps > budget) {
      exhausted = true;
      return;
    }
    if (coloured === n) {
      bestK = used;
      best = [...colour];
      return;
    }
    const v = pick();
    const limit = Math.min(used + 1, bestK - 1);
    for (let c = 0; c < limit; c++) {
      if (count[v * n + c] !== 0) continue;
      colour[v] = c;
      assign(v, c, 1);
      search(coloured + 1, Math.max(used, c + 1));
      assign(v, c, -1);
      colour[v] = -1;
      if (exhausted || bestK <= lower) return;
    }
  };
  search(0, 0);
  return best ? { colours: best, complete: !exhausted } : { complete: !exhausted };
}

/** Largest clique, by branch and bound with a greedy-colouring bound (Tomita's MCQ), within `budget` steps. */
function maxClique(g: ConflictGraph, nbrs: number[][], budget: number): number[] {
  const n = g.nodes.length;
  let best: number[] = [0];
  let steps = 0;
  const order = Array.from({ length: n }, (_, v) => v).sort((a, b) => nbrs[b]!.length - nbrs[a]!.length || a - b);
  const expand = (r: number[], p: number[]): void => {
    if (++steps > budget) return;
    // Greedy colouring of p gives, for each vertex in colour order, a bound on the clique it can finish.
    const classes: number[][] = [];
    for (const v of p) {
      let k = 0;
      while (k < classes.length && classes[k]!.some((u) => g.conflicts(u, v))) k++;
      (classes[k] ??= []).push(v);
    }
    const ordered: [number, number][] = [];
    classes.forEach((cls, k) => cls.forEach((v) => ordered.push([v, k + 1])));
    for (let i = ordered.length - 1; i >= 0; i--) {
      const [v, bound] = ordered[i]!;
      if (r.length + bound <= best.length) return;
      const r2 = [...r, v];
      const p2 = ordered.slice(0, i).map(([u]) => u).filter((u) => g.conflicts(u, v));
      if (p2.length === 0) {
        if (r2.length > best.length) best = r2;
      } else expand(r2, p2);
      if (steps > budget) return;
    }
  };
  expand([], order);
  return [...best].sort((a, b) => a - b);
}
