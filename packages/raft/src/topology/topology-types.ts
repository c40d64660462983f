/**
 * Node states of the topology state machine, after ScyllaDB's `node_state`.
 * A node in `left` never returns: its entry is kept (never deleted) so that a
 * restart or a second join of the same id is rejected.
 */
export const NODE_STATES = [
  'none',
  'bootstrapping',
  'decommissioning',
  'removing',
  'replacing',
  'rebuilding',
  'normal',
  'left',
] as const;
/** One of {@link NODE_STATES}. */
export type NodeState = (typeof NODE_STATES)[number];

/** Node states that mean "a topology operation is running on this node". */
export const TRANSITION_NODE_STATES: readonly NodeState[] = [
  'bootstrapping',
  'decommissioning',
  'removing',
  'replacing',
  'rebuilding',
];

/**
 * Global transition states (ScyllaDB's `topology::transition_state`, the subset
 * that applies without tablets and CDC streams). `null` in the state means idle.
 */
export const TRANSITION_STATES = [
  'join_group0',
  'commit_cdc_generation',
  'write_both_read_old',
  'write_both_read_new',
  'left_token_ring',
  'rollback_to_normal',
] as const;
/** One of {@link TRANSITION_STATES}. */
export type TransitionState = (typeof TRANSITION_STATES)[number];

/**
 * Request kinds. The order is the priority: the coordinator always starts the
 * pending request whose kind comes first (then the oldest of that kind).
 */
export const REQUEST_KINDS = ['replace', 'join', 'remove', 'leave', 'rebuild'] as const;
/** One of {@link REQUEST_KINDS}. `leave` is a decommission, `remove` a removenode. */
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Where a request is in its life. The last three are final. */
export type RequestStatus = 'pending' | 'running' | 'done' | 'failed' | 'rejected';

/** True for `done`, `failed` and `rejected`. */
export function isFinalStatus(status: RequestStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'rejected';
}

/**
 * Why a request was rejected, as a stable code. Rejections happen on admission
 * (when the submit command is applied) or when the coordinator finds that a
 * queued request can no longer start.
 */
export type RejectionCode =
  | 'invalid_request'
  | 'unknown_node'
  | 'node_left'
  | 'duplicate_node'
  | 'duplicate_request'
  | 'conflicting_request'
  | 'concurrent_removal'
  | 'target_alive'
  | 'ignored_node_alive'
  | 'nodes_down'
  | 'not_normal'
  | 'last_node'
  | 'dc_rack_mismatch'
  | 'node_down'
  | 'replaced'
  | 'aborted';

/**
 * Whether a node's data needs a cleanup after ranges moved away from it (ScyllaDB's
 * `cleanup_status`): `needed` once it lost ranges, `running` while a global `cleanup`
 * request cleans it, `clean` after.
 */
export type CleanupStatus = 'clean' | 'needed' | 'running';

/**
 * Kinds of global requests (ScyllaDB's `global_topology_request`, the subset without tablets
 * and CDC): `cleanup` cleans every node whose cleanup is `needed`; `noop` only passes through
 * the coordinator (a caller learns that a coordinator is running and has seen everything
 * queued before it).
 */
export const GLOBAL_REQUEST_KINDS = ['cleanup', 'noop'] as const;
/** One of {@link GLOBAL_REQUEST_KINDS}. */
export type GlobalRequestKind = (typeof GLOBAL_REQUEST_KINDS)[number];

/** One member of the token ring (or a candidate to become one). */
export interface TopologyNode {
  /** Host id, unique forever (a left id is never reused). */
  readonly id: string;
  /** Address used by the data path, e.g. `10.0.0.3` or `127.0.0.1:9042`. */
  readonly address: string;
  /** Datacenter name. */
  readonly dc: string;
  /** Rack name. */
  readonly rack: string;
  /** Tokens owned (sorted ascending); empty until tokens are assigned, and again once the node left. */
  readonly tokens: readonly number[];
  /** Current node state. */
  readonly state: NodeState;
  /** How many tokens the node asked for on join. */
  readonly numTokens: number;
  /** Whether ranges moved away from the node since its last cleanup. */
  readonly cleanup: CleanupStatus;
}

/** Parameters of a request, by kind. */
export interface RequestParams {
  /** `join`: tokens to take; when absent, `numTokens` tokens are derived from the node id. */
  readonly tokens?: readonly number[];
  /** `replace`: the host id of the dead node being replaced. */
  readonly replacedId?: string;
  /** `rebuild`: the datacenter to stream from. */
  readonly sourceDc?: string;
}

/** A topology request and, once final, its outcome. */
export interface TopologyRequest {
  /** Request id (client-chosen, or `req-<n>` assigned on admission). */
  readonly id: string;
  readonly kind: RequestKind;
  /** The node the request is about: the joining/leaving/removed/rebuilt node, or the replacing (new) node. */
  readonly nodeId: string;
  readonly params: RequestParams;
  readonly status: RequestStatus;
  /** Set when rejected. */
  readonly code?: RejectionCode;
  /** Why it failed or was rejected; failures start with `Rolled back:` when a rollback ran. */
  readonly reason?: string;
  /** Admission order (a global counter), used to break priority ties. */
  readonly seq: number;
  /** Who submitted it (a client's `initiator`, e.g. an operator or node name); absent when not given. */
  readonly initiator?: string;
  /** When it was admitted or rejected on admission: milliseconds on the submitter's injected clock. */
  readonly createdAt?: number;
  /** When the coordinator started it: milliseconds on the coordinator's injected clock. */
  readonly startedAt?: number;
  /** When it reached a final status: milliseconds on the injected clock of whoever ended it. */
  readonly endedAt?: number;
}

/** A global request and, once final, its outcome. Same lifecycle and fields as {@link TopologyRequest}. */
export interface GlobalTopologyRequest {
  /** Request id (client-chosen, or `greq-<n>` assigned on admission); unique among node and global requests. */
  readonly id: string;
  readonly kind: GlobalRequestKind;
  readonly status: RequestStatus;
  /** Set when rejected (`duplicate_request`, `node_down`, `aborted`). */
  readonly code?: RejectionCode;
  /** Why it failed or was rejected. */
  readonly reason?: string;
  /** Admission order (shared counter with node requests). */
  readonly seq: number;
  /** `cleanup`: the nodes being cleaned, set when it starts (sorted). */
  readonly nodes?: readonly string[];
  readonly initiator?: string;
  readonly createdAt?: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
}

/** The operation in progress. */
export interface TransitionInfo {
  readonly requestId: string;
  readonly kind: RequestKind;
  /** The node in transition (for replace: the new node). */
  readonly nodeId: string;
  /** Set once a rollback was committed: the reason recorded on the request. */
  readonly rollbackReason?: string;
}

/**
 * The replicated topology. Plain JSON: it is also the snapshot format.
 * Changed only by applying {@link TopologyCommand}s.
 */
export interface TopologyState {
  /** Topology version; starts at 1 and never decreases. Raised whenever token ownership routing changes. */
  readonly version: number;
  /** Replicas reject data requests routed with a version below this. Always `<= version`. Starts at 1. */
  readonly fenceVersion: number;
  /** Bumped by every command that changes anything: the optimistic-concurrency token of saga steps. */
  readonly stateId: number;
  /** Highest coordinator term fenced in: steps from lower terms are rejected. 0 until a coordinator starts. */
  readonly coordinatorTerm: number;
  /** Global transition state; `null` when idle (also during a rebuild, which has no global state). */
  readonly tstate: TransitionState | null;
  /** The operation in progress, or `null`. */
  readonly transition: TransitionInfo | null;
  /** Streaming session id; changes when a new streaming stage starts. */
  readonly session: number;
  /** All nodes by id, including `left` ones. */
  readonly nodes: Readonly<Record<string, TopologyNode>>;
  /** All retained requests by id (pending, running and the most recent final ones). */
  readonly requests: Readonly<Record<string, TopologyRequest>>;
  /** Ids of pending and running requests, in admission order. */
  readonly queue: readonly string[];
  /** Global requests by id (pending, running and the most recent final ones). */
  readonly globalRequests: Readonly<Record<string, GlobalTopologyRequest>>;
  /** Ids of pending and running global requests, in admission order. */
  readonly globalQueue: readonly string[];
  /** The running global request, or `null`. Never set together with {@link transition}. */
  readonly globalRequest: string | null;
  /** Dead nodes excluded from barriers and streaming (targets of remove/replace). */
  readonly ignoredNodes: readonly string[];
  /** Next admission counter value. */
  readonly nextSeq: number;
}
