/**
 * One entry of the raft package's error-code catalogue: the class thrown with the code, its
 * retry intent (the error's `retryable`), and what the code means and what to do. The same
 * shape as `@scylla-cp/core`'s `ErrorCodeEntry`; declared here because this package
 * depends on nothing else in the repository.
 */
export interface RaftErrorCodeEntry {
  /** Name of the class thrown with this code, e.g. `NotLeaderError`. */
  readonly errorClass: string;
  /** The `retryable` of every error with this code: true when retrying later may succeed. */
  readonly retryable: boolean;
  /** What the code means and how to act on it. */
  readonly message: string;
}

/**
 * Every error code `@scylla-cp/raft` throws or rejects with (Fastify's `lib/errors.js`
 * idea: one list per package): `RaftError` and its subclasses (`errors.ts`) and the topology
 * module's `TopologyError`s (`topology/topology-errors.ts`). A test checks that every code
 * thrown in `src/` is listed here with its class and retry intent, and that every entry is
 * still thrown.
 */
export const RAFT_ERROR_CODES = {
  // Raft (errors.ts)
  RAFT_ERROR: { errorClass: 'RaftError', retryable: false, message: 'the server stopped on a storage write or state machine apply failure; the cause is in the message: fix it and start a new server' },
  NOT_LEADER: { errorClass: 'NotLeaderError', retryable: true, message: 'this member is not the leader; send the request to `leader` (or retry after an election when it is null)' },
  PROPOSAL_DROPPED: { errorClass: 'ProposalDroppedError', retryable: true, message: 'the proposal was not applied (another leader overwrote its log position, or it was refused): retry it' },
  COMMIT_STATUS_UNKNOWN: { errorClass: 'CommitStatusUnknownError', retryable: true, message: 'the proposal may or may not have been applied (timeout, overtaken by a snapshot): read the state before retrying' },
  STOPPED: { errorClass: 'StoppedError', retryable: false, message: 'the Raft server is stopped; start a new RaftServer' },
  CONF_CHANGE_IN_PROGRESS: { errorClass: 'ConfChangeInProgressError', retryable: true, message: 'a membership change is still in progress: wait until it commits (and joint consensus is left), then retry' },
  INVALID_CONF_CHANGE: { errorClass: 'InvalidConfChangeError', retryable: false, message: 'the membership change is invalid against the current configuration (the message says why)' },
  RAFT_TIMEOUT: { errorClass: 'RaftTimeoutError', retryable: true, message: 'an operation (read barrier, leadership transfer, forwarded call) did not complete within its deadline' },
  // topology (topology/topology-errors.ts)
  STALE_TOPOLOGY: { errorClass: 'StaleTopologyError', retryable: true, message: "a data request carried a topology version below the replica's fence version: refresh the topology and retry" },
  STALE_TERM: { errorClass: 'StaleTermError', retryable: false, message: 'a node agent refused a command from a coordinator older than one it has seen (or re-delivered out of order)' },
  TOPOLOGY_RPC: { errorClass: 'TopologyRpcError', retryable: true, message: 'a call to a node agent failed: unreachable, timed out, or refused' },
  LOG_NOT_LEADER: { errorClass: 'ReplicatedLogError', retryable: true, message: 'the replicated log is not the leader here; `leaderHint` names it when known' },
  LOG_DROPPED: { errorClass: 'ReplicatedLogError', retryable: true, message: 'the proposal was not applied: retry it' },
  LOG_STATUS_UNKNOWN: { errorClass: 'ReplicatedLogError', retryable: true, message: 'the command may or may not have been applied: read the state before retrying' },
  LOG_STOPPED: { errorClass: 'ReplicatedLogError', retryable: true, message: 'the replicated log (its Raft server) is stopped' },
  LOG_TIMEOUT: { errorClass: 'ReplicatedLogError', retryable: true, message: 'a proposal or read barrier did not complete within its deadline' },
  TOPOLOGY_TIMEOUT: { errorClass: 'TopologyTimeoutError', retryable: true, message: "waiting for a request's outcome (or another topology wait) timed out" },
  SUBMIT_FAILED: { errorClass: 'TopologyError', retryable: false, message: 'a topology request was not admitted (the command failed, or no request was recorded); the reason is in the message' },
  UNKNOWN_REQUEST: { errorClass: 'TopologyError', retryable: false, message: 'the replica has no such topology request (never admitted, or pruned): check the id' },
  STEP_FAILED: { errorClass: 'TopologyError', retryable: false, message: "the coordinator's saga step was refused by the state machine for a reason other than a lost term or a concurrent change" },
  ABORT_REFUSED: { errorClass: 'TopologyAbortError', retryable: false, message: 'an abort of a topology request was refused: unknown, already started (wait for its outcome), already final, or a join/replace (stop the joining node instead); `refusal` says which' },
  STALE_STREAM: { errorClass: 'StaleStreamError', retryable: false, message: "a node agent refused (or discarded the result of) a stream command whose session is not the node's current one: a stale stream must not complete a newer operation" },
  TOPOLOGY_STOPPED: { errorClass: 'TopologyStoppedError', retryable: false, message: 'a topology component was used after it stopped (coordinator deposed, agent shut down, cluster stopped)' },
} as const satisfies Readonly<Record<string, RaftErrorCodeEntry>>;

/** A code of {@link RAFT_ERROR_CODES}. */
export type RaftErrorCode = keyof typeof RAFT_ERROR_CODES;
