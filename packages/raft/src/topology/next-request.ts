import { openRequests } from './topology-admission.js';
import type { GlobalTopologyRequest, TopologyRequest, TopologyState } from './topology-types.js';
import { REQUEST_KINDS } from './topology-types.js';

/** The pending request to start next: by kind priority, then admission order. */
export function nextRequest(s: TopologyState): TopologyRequest | undefined {
  let best: TopologyRequest | undefined;
  for (const r of openRequests(s)) {
    if (r.status !== 'pending') continue;
    if (!best) {
      best = r;
      continue;
    }
    const a = REQUEST_KINDS.indexOf(r.kind);
    const b = REQUEST_KINDS.indexOf(best.kind);
    if (a < b || (a === b && r.seq < best.seq)) best = r;
  }
  return best;
}

/**
 * The pending global request to start next, in admission order. The coordinator starts one
 * only when no node request is pending and no operation is in progress (node requests first).
 */
export function nextGlobalRequest(s: TopologyState): GlobalTopologyRequest | undefined {
  for (const id of s.globalQueue) {
    const g = s.globalRequests[id];
    if (g?.status === 'pending') return g;
  }
  return undefined;
}
