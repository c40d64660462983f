import { nodesNeedingCleanup } from './global-request-steps.js';
import { isFinalStatus, type TopologyRequest, type TopologyState } from './topology-types.js';

/** What the coordinator does before starting a remove or leave (see {@link cleanupBeforeRemoval}). */
export type CleanupBeforeRemoval =
  /** Submit the global cleanup `requestId` (the coordinator's own, initiator `coordinator <id>`). */
  | { readonly action: 'submit'; readonly requestId: string }
  /** Start the pending global cleanup `requestId`. */
  | { readonly action: 'start'; readonly requestId: string };

/** Id of the global cleanup the coordinator submits before node request `requestId`. */
export function cleanupBeforeId(requestId: string): string {
  return `cleanup-before-${requestId}`;
}

/**
 * ScyllaDB's rule: when the request to start next is a `remove` or `leave` and some node's
 * cleanup is `needed`, a vnodes cleanup runs first (ranges move again in the operation, and data
 * a node should have dropped would be streamed along). Returns what to do first, or `undefined`
 * to start `next` now: when it is another kind, no node needs cleanup, a node that needs it is
 * reported dead (a cleanup could not reach it: the operation goes ahead without one), or the
 * coordinator's own cleanup for `next` already ended (once per request, even if it failed).
 * A pending cleanup (an operator's) is started instead of submitting another one.
 */
export function cleanupBeforeRemoval(s: TopologyState, next: TopologyRequest, isAlive: (id: string) => boolean): CleanupBeforeRemoval | undefined {
  if (next.kind !== 'remove' && next.kind !== 'leave') return undefined;
  const needing = nodesNeedingCleanup(s);
  if (needing.length === 0 || needing.some((n) => !isAlive(n.id))) return undefined;
  const pending = s.globalQueue.map((id) => s.globalRequests[id]).find((g) => g?.kind === 'cleanup' && g.status === 'pending');
  if (pending) return { action: 'start', requestId: pending.id };
  const own = s.globalRequests[cleanupBeforeId(next.id)];
  if (own && isFinalStatus(own.status)) return undefined;
  return { action: 'submit', requestId: cleanupBeforeId(next.id) };
}
