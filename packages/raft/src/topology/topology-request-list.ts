import type { GlobalRequestKind, GlobalTopologyRequest, RejectionCode, RequestKind, RequestStatus, TopologyRequest, TopologyState } from './topology-types.js';
import { isFinalStatus } from './topology-types.js';

/**
 * One tracked request, node or global, as a flat record for listings and status APIs
 * (ScyllaDB keeps the same columns in `system.topology_requests`). Times are milliseconds
 * on the injected clock of whoever recorded them; `null` when unknown.
 */
export interface TopologyRequestInfo {
  readonly id: string;
  /** The request kind: `join`, `replace`, `remove`, `leave`, `rebuild`, or a global `cleanup` / `noop`. */
  readonly type: RequestKind | GlobalRequestKind;
  /** True for `cleanup` and `noop`. */
  readonly global: boolean;
  /** `pending` (queued), `running`, or final: `done`, `failed`, `rejected` (never started: refused, aborted or cancelled). */
  readonly status: RequestStatus;
  /** Who submitted it, when the client said. */
  readonly initiator: string | null;
  /** The node the request is about (for replace: the new node); `null` for global requests. */
  readonly target: string | null;
  /** Replace: the node being replaced; cleanup: the nodes being cleaned; otherwise empty. */
  readonly otherNodes: readonly string[];
  /** Admission time. */
  readonly createdAt: number | null;
  /** When the coordinator started it. */
  readonly startedAt: number | null;
  /** When it reached a final status. */
  readonly endedAt: number | null;
  /** Why it failed or was rejected (`Rolled back: …`, `aborted by the user`, `cancelled: …`); `null` otherwise. */
  readonly error: string | null;
  /** The rejection code of a rejected request. */
  readonly code: RejectionCode | null;
  /** Admission order, shared by node and global requests. */
  readonly seq: number;
}

/** Filters of {@link listTopologyRequests}. Every given filter must match. */
export interface TopologyRequestFilter {
  /** `open`: pending or running; `final`: done, failed or rejected; or a list of statuses. @default every status */
  readonly status?: 'open' | 'final' | readonly RequestStatus[];
  /** Only these types. @default every type */
  readonly types?: readonly (RequestKind | GlobalRequestKind)[];
  /** Only requests about this node (target, replaced node, or a node being cleaned). @default any */
  readonly node?: string;
}

/** The flat record of a node request. */
export function describeTopologyRequest(r: TopologyRequest): TopologyRequestInfo {
  return {
    id: r.id,
    type: r.kind,
    global: false,
    status: r.status,
    initiator: r.initiator ?? null,
    target: r.nodeId,
    otherNodes: r.params.replacedId === undefined ? [] : [r.params.replacedId],
    createdAt: r.createdAt ?? null,
    startedAt: r.startedAt ?? null,
    endedAt: r.endedAt ?? null,
    error: r.reason ?? null,
    code: r.code ?? null,
    seq: r.seq,
  };
}

/** The flat record of a global request. */
export function describeGlobalRequest(r: GlobalTopologyRequest): TopologyRequestInfo {
  return {
    id: r.id,
    type: r.kind,
    global: true,
    status: r.status,
    initiator: r.initiator ?? null,
    target: null,
    otherNodes: r.nodes ?? [],
    createdAt: r.createdAt ?? null,
    startedAt: r.startedAt ?? null,
    endedAt: r.endedAt ?? null,
    error: r.reason ?? null,
    code: r.code ?? null,
    seq: r.seq,
  };
}

/** The record of request `id` (node or global), or `undefined` when the state has none (never admitted, or pruned). */
export function findTopologyRequest(state: TopologyState, id: string): TopologyRequestInfo | undefined {
  const r = state.requests[id];
  if (r) return describeTopologyRequest(r);
  const g = state.globalRequests[id];
  return g ? describeGlobalRequest(g) : undefined;
}

function matches(info: TopologyRequestInfo, f: TopologyRequestFilter): boolean {
  if (f.status === 'open' && isFinalStatus(info.status)) return false;
  if (f.status === 'final' && !isFinalStatus(info.status)) return false;
  if (Array.isArray(f.status) && !f.status.includes(info.status)) return false;
  if (f.types && !f.types.includes(info.type)) return false;
  if (f.node !== undefined && info.target !== f.node && !info.otherNodes.includes(f.node)) return false;
  return true;
}

/**
 * Every request the state retains (pending, running, and the most recent final ones, see
 * `maxFinishedRequests`), node and global, in admission order.
 */
export function listTopologyRequests(state: TopologyState, filter: TopologyRequestFilter = {}): TopologyRequestInfo[] {
  const out: TopologyRequestInfo[] = [];
  for (const r of Object.values(state.requests)) out.push(describeTopologyRequest(r));
  for (const r of Object.values(state.globalRequests ?? {})) out.push(describeGlobalRequest(r));
  return out.filter((i) => matches(i, filter)).sort((a, b) => a.seq - b.seq);
}
