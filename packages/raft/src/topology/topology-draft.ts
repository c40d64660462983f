import type { CommandFailureCode } from './topology-command.js';
import type {
  GlobalTopologyRequest,
  NodeState,
  RejectionCode,
  RequestKind,
  TopologyNode,
  TopologyRequest,
  TopologyState,
} from './topology-types.js';

/** `T` without `readonly`. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A copy of a {@link TopologyState} that one command mutates before it is committed: nodes
 * and open requests are copies, final requests are shared (never mutated).
 */
export type Draft = Mutable<Omit<TopologyState, 'nodes' | 'requests' | 'queue' | 'ignoredNodes' | 'globalRequests' | 'globalQueue'>> & {
  nodes: Record<string, Mutable<TopologyNode>>;
  requests: Record<string, Mutable<TopologyRequest>>;
  queue: string[];
  ignoredNodes: string[];
  globalRequests: Record<string, Mutable<GlobalTopologyRequest>>;
  globalQueue: string[];
};

/** A command that does not apply: the state machine turns it into `{ ok: false, code, reason }`. */
export class StepError {
  constructor(
    readonly code: CommandFailureCode,
    readonly reason: string,
  ) {}
}

/** Request kinds that bring a new node in. */
export const JOINING: readonly RequestKind[] = ['join', 'replace'];

/** A mutable copy of `s` (see {@link Draft}). */
export function makeDraft(s: TopologyState): Draft {
  const nodes: Record<string, Mutable<TopologyNode>> = {};
  for (const [k, n] of Object.entries(s.nodes)) nodes[k] = { ...n };
  const requests: Record<string, Mutable<TopologyRequest>> = { ...s.requests };
  for (const id of s.queue) requests[id] = { ...s.requests[id]! };
  const globalRequests: Record<string, Mutable<GlobalTopologyRequest>> = { ...s.globalRequests };
  for (const id of s.globalQueue) globalRequests[id] = { ...s.globalRequests[id]! };
  return { ...s, nodes, requests, queue: [...s.queue], ignoredNodes: [...s.ignoredNodes], globalRequests, globalQueue: [...s.globalQueue] };
}

/** Sets a node's state; a node that `left` gives up its tokens. */
export function setNodeState(node: Mutable<TopologyNode>, state: NodeState): void {
  node.state = state;
  if (state === 'left') node.tokens = [];
}

/**
 * Ends a node request: sets its final status, reason, code and `endedAt` (when `at` is
 * known), and takes it off the queue. A rejected join or replace leaves its node `left`
 * (the id is burnt), and a rejected remove or replace un-ignores its target.
 */
export function finishRequest(
  d: Draft,
  r: Mutable<TopologyRequest>,
  status: 'done' | 'failed' | 'rejected',
  at: number | undefined,
  reason?: string,
  code?: RejectionCode,
): void {
  r.status = status;
  if (reason !== undefined) r.reason = reason;
  if (code !== undefined) r.code = code;
  if (at !== undefined) r.endedAt = at;
  d.queue = d.queue.filter((id) => id !== r.id);
  if (status === 'rejected') {
    const node = d.nodes[r.nodeId];
    if (JOINING.includes(r.kind) && node?.state === 'none') setNodeState(node, 'left');
    const target = r.kind === 'remove' ? r.nodeId : r.params.replacedId;
    if (target !== undefined) d.ignoredNodes = d.ignoredNodes.filter((id) => id !== target);
  }
}

/** Ends a global request (status, reason, code, `endedAt`) and takes it off the global queue. */
export function finishGlobalRequest(
  d: Draft,
  r: Mutable<GlobalTopologyRequest>,
  status: 'done' | 'failed' | 'rejected',
  at: number | undefined,
  reason?: string,
  code?: RejectionCode,
): void {
  r.status = status;
  if (reason !== undefined) r.reason = reason;
  if (code !== undefined) r.code = code;
  if (at !== undefined) r.endedAt = at;
  d.globalQueue = d.globalQueue.filter((id) => id !== r.id);
  if (d.globalRequest === r.id) d.globalRequest = null;
}
