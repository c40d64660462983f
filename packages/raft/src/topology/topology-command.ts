import type { GlobalRequestKind, GlobalTopologyRequest, RejectionCode, TopologyRequest } from './topology-types.js';

/** A node as described by the client that asks it to join or replace. */
export interface NewNodeSpec {
  /** Host id, never used before in this cluster. */
  readonly id: string;
  readonly address: string;
  readonly dc: string;
  readonly rack: string;
  /** Number of tokens to own. @default 8 */
  readonly numTokens?: number;
}

/** What a client asks for. */
export type TopologyRequestSpec =
  | { readonly kind: 'join'; readonly node: NewNodeSpec; readonly tokens?: readonly number[] }
  | { readonly kind: 'replace'; readonly node: NewNodeSpec; readonly replacedId: string }
  | { readonly kind: 'leave'; readonly nodeId: string }
  | { readonly kind: 'remove'; readonly nodeId: string }
  | { readonly kind: 'rebuild'; readonly nodeId: string; readonly sourceDc?: string };

/**
 * Submit a request. Validated when applied, against the state it is applied to.
 * `liveness` is the submitter's failure-detector view (`false` = observed dead)
 * of the nodes that matter: remove/replace require their target to be dead and
 * every other dead node to be ignored.
 */
export interface SubmitCommand {
  readonly type: 'submit';
  readonly request: TopologyRequestSpec;
  /** Client-chosen id; resubmitting the same id returns the existing request (idempotent retry). */
  readonly requestId?: string;
  /** Failure-detector view at submit time, by node id. Nodes not listed count as alive. */
  readonly liveness?: Readonly<Record<string, boolean>>;
  /** Who asks (recorded on the request). @default absent */
  readonly initiator?: string;
  /** Submit time, milliseconds on the submitter's injected clock (recorded as `createdAt`). @default absent */
  readonly at?: number;
}

/** Submit a global request (`cleanup` or `noop`). */
export interface SubmitGlobalCommand {
  readonly type: 'submit_global';
  readonly kind: GlobalRequestKind;
  /** Client-chosen id; resubmitting the same id returns the existing request. */
  readonly requestId?: string;
  /** Who asks (recorded on the request). @default absent */
  readonly initiator?: string;
  /** Submit time, milliseconds on the submitter's injected clock. @default absent */
  readonly at?: number;
}

/**
 * Mark a node's data clean without a cleanup through the coordinator (ScyllaDB's
 * `reset_cleanup_needed`, `POST /storage_service/mark_node_as_clean`: the node cleaned itself
 * locally). `needed` becomes `clean`; `clean` stays (no change); refused while its cleanup runs.
 */
export interface MarkNodeCleanCommand {
  readonly type: 'mark_clean';
  readonly nodeId: string;
}

/** Commit a no-op bump in `term`: invalidates every guard of an older coordinator. */
export interface FenceCoordinatorCommand {
  readonly type: 'fence_coordinator';
  readonly term: number;
}

/**
 * Abort a pending (not yet started) `leave`, `remove` or `rebuild` request, or a pending
 * global request. Started and final requests, and `join`/`replace`, are refused.
 */
export interface AbortRequestCommand {
  readonly type: 'abort_request';
  readonly requestId: string;
  /** Abort time, milliseconds on the caller's injected clock (recorded as `endedAt`). @default absent */
  readonly at?: number;
}

/**
 * The state a coordinator decided on. A step applies only when `stateId`
 * equals the current `stateId` and `term` is not below `coordinatorTerm`.
 */
export interface StepGuard {
  readonly stateId: number;
  readonly term: number;
}

/** One saga step. Each is valid only from the transition state it names. */
export type SagaStep =
  /** Start the pending request (highest priority first). */
  | { readonly kind: 'start'; readonly requestId: string }
  /** A queued request (node or global) cannot start any more: reject it with a reason. */
  | { readonly kind: 'reject_request'; readonly requestId: string; readonly code: RejectionCode; readonly reason: string }
  /** join_group0 → commit_cdc_generation (join; tokens assigned) or write_both_read_old (replace; tokens taken over, version+1). */
  | { readonly kind: 'accept_node'; readonly requestId: string }
  /** commit_cdc_generation → write_both_read_old (version+1, new session). */
  | { readonly kind: 'commit_cdc'; readonly requestId: string }
  /** Raise fenceVersion to `version` (after barrier_and_drain). No-op if already there. */
  | { readonly kind: 'fence'; readonly requestId: string; readonly version: number }
  /**
   * write_both_read_old → write_both_read_new (version+1) after streaming. `session` is the
   * streaming session the streams ran in: a step from an older session is refused (`stale_session`).
   */
  | { readonly kind: 'streamed'; readonly requestId: string; readonly session?: number }
  /** write_both_read_new → done (join/replace: node normal, version+1) or left_token_ring (leave/remove: tokens deleted, version+1). */
  | { readonly kind: 'finish_write_both'; readonly requestId: string }
  /** left_token_ring → node left, transition cleared, request done (or failed after a rollback). */
  | { readonly kind: 'finish_left'; readonly requestId: string }
  /** Roll back: joining → left_token_ring; leaving/removing → rollback_to_normal; version+1. */
  | { readonly kind: 'rollback'; readonly requestId: string; readonly reason: string }
  /** rollback_to_normal → node normal, transition cleared, request failed. */
  | { readonly kind: 'finish_rollback'; readonly requestId: string }
  /** Rebuild finished: node normal, request done (or failed with `error`). */
  | { readonly kind: 'finish_rebuild'; readonly requestId: string; readonly error?: string; readonly session?: number }
  /** Start a pending global request (only with no operation in progress). `cleanup` marks its nodes `running`; `noop` ends `done` at once. */
  | { readonly kind: 'start_global'; readonly requestId: string }
  /** A running global request ended: `cleaned` nodes become `clean`, the other running ones `needed` again; failed with `error` if given. */
  | { readonly kind: 'finish_global'; readonly requestId: string; readonly cleaned: readonly string[]; readonly error?: string };

/** A coordinator's saga step, guarded by optimistic concurrency. */
export interface StepCommand {
  readonly type: 'step';
  readonly guard: StepGuard;
  readonly step: SagaStep;
  /** When the coordinator decided it: milliseconds on its injected clock (recorded as `startedAt`/`endedAt`). @default absent */
  readonly at?: number;
}

/** Every command the topology state machine applies. Plain JSON. */
export type TopologyCommand = SubmitCommand | SubmitGlobalCommand | FenceCoordinatorCommand | AbortRequestCommand | StepCommand | MarkNodeCleanCommand;

/** Why a command did not take effect. */
export type CommandFailureCode =
  | 'rejected'
  | 'stale_term'
  | 'concurrent_modification'
  | 'illegal_step'
  | 'unknown_request'
  | 'invalid_command'
  /** abort_request: the request already started (only pending requests can be aborted). */
  | 'request_started'
  /** abort_request: the request already reached a final status. */
  | 'request_final'
  /** abort_request: `join` and `replace` requests cannot be aborted. */
  | 'not_abortable'
  /** A streaming step from an older streaming session than the current one. */
  | 'stale_session';

/** Result of applying one command. `stateId` and `version` are the values after the apply. */
export type TopologyCommandResult =
  | {
      readonly ok: true;
      readonly stateId: number;
      readonly version: number;
      /** For submit and abort: the request record after the apply. */
      readonly request?: TopologyRequest;
      /** For submit_global (and abort of a global request): the global request record after the apply. */
      readonly globalRequest?: GlobalTopologyRequest;
      /** True when a submit named an existing request id (nothing changed). */
      readonly existing?: boolean;
      /** False when the command was a permitted no-op (a fence already raised). */
      readonly changed: boolean;
    }
  | {
      readonly ok: false;
      readonly code: CommandFailureCode;
      readonly reason: string;
      readonly stateId: number;
      readonly version: number;
      /** For a rejected submit: the recorded request, status `rejected`; for a refused abort, the request as it is. */
      readonly request?: TopologyRequest;
      /** For a rejected submit_global (or refused abort of one): the global request record. */
      readonly globalRequest?: GlobalTopologyRequest;
      /** For a rejected submit: the rejection code. */
      readonly rejection?: RejectionCode;
    };
