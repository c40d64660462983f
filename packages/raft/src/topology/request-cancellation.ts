import type { RejectionCode, TopologyRequest, TopologyState } from './topology-types.js';

/** A pending request the coordinator cancels, with the code and reason recorded on it. */
export interface Cancellation {
  readonly requestId: string;
  readonly code: RejectionCode;
  readonly reason: string;
}

/**
 * The node a pending request cannot go without: its own node, except for `remove`, whose
 * target is dead by definition (for `replace`, the new node; the replaced one is dead).
 */
export function requiredNode(r: TopologyRequest): string | undefined {
  return r.kind === 'remove' ? undefined : r.nodeId;
}

/**
 * Pending node requests whose required node (see {@link requiredNode}) the failure detector
 * reports dead, in admission order, each with the reason to record (code `node_down`). The
 * coordinator cancels them as soon as it sees them, also while another operation runs, so a
 * caller waiting on such a request learns at once instead of when the queue reaches it.
 * Running requests are not cancelled: their saga rolls back instead.
 */
export function cancellationsForDeadNodes(state: TopologyState, isAlive: (nodeId: string) => boolean): Cancellation[] {
  const out: Cancellation[] = [];
  for (const id of state.queue) {
    const r = state.requests[id];
    if (!r || r.status !== 'pending') continue;
    const node = requiredNode(r);
    if (node === undefined || isAlive(node)) continue;
    out.push({
      requestId: r.id,
      code: 'node_down',
      reason: `cancelled: ${r.kind} of ${r.nodeId} needs node ${node}, which the failure detector reports down; bring it back and submit again`,
    });
  }
  return out;
}
