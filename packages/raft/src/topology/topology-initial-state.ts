import type { TopologyNode, TopologyState } from './topology-types.js';

/** A member of the initial cluster, already `normal`. */
export interface InitialNode {
  readonly id: string;
  readonly address: string;
  readonly dc: string;
  readonly rack: string;
  /** Tokens to own; when absent, `numTokens` tokens derived from the id. */
  readonly tokens?: readonly number[];
  /** @default 8 */
  readonly numTokens?: number;
}

/** Default number of tokens per node. */
export const DEFAULT_NUM_TOKENS = 8;

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h | 0;
}

/**
 * Tokens for a node, derived from its id so that every replica computes the
 * same ones; a token already in `taken` is re-drawn. Integers in [-2^31, 2^31).
 */
export function deriveTokens(nodeId: string, count: number, taken: ReadonlySet<number>): number[] {
  const out = new Set<number>();
  for (let i = 0, salt = 0; out.size < count; i++) {
    const t = hash32(`${nodeId}#${i}#${salt}`);
    if (taken.has(t) || out.has(t)) {
      salt++;
      continue;
    }
    out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/** The state of a cluster with the given normal nodes, version 1, fence version 1. */
export function initialTopologyState(nodes: readonly InitialNode[] = []): TopologyState {
  const taken = new Set<number>();
  const map: Record<string, TopologyNode> = {};
  for (const n of nodes) {
    const numTokens = n.numTokens ?? n.tokens?.length ?? DEFAULT_NUM_TOKENS;
    const tokens = n.tokens ? [...n.tokens].sort((a, b) => a - b) : deriveTokens(n.id, numTokens, taken);
    for (const t of tokens) taken.add(t);
    map[n.id] = { id: n.id, address: n.address, dc: n.dc, rack: n.rack, tokens, state: 'normal', numTokens, cleanup: 'clean' };
  }
  return {
    version: 1,
    fenceVersion: 1,
    stateId: 0,
    coordinatorTerm: 0,
    tstate: null,
    transition: null,
    session: 0,
    nodes: map,
    requests: {},
    queue: [],
    globalRequests: {},
    globalQueue: [],
    globalRequest: null,
    ignoredNodes: [],
    nextSeq: 1,
  };
}

/**
 * Fills the fields that snapshots taken before global requests existed lack
 * (`globalRequests`, `globalQueue`, `globalRequest`); returns `state` itself when none is missing.
 */
export function normalizeTopologyState(state: TopologyState): TopologyState {
  const s = state as Partial<TopologyState> & TopologyState;
  if (s.globalRequests && s.globalQueue && s.globalRequest !== undefined) return state;
  return { ...s, globalRequests: s.globalRequests ?? {}, globalQueue: s.globalQueue ?? [], globalRequest: s.globalRequest ?? null };
}
