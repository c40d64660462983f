import { randomUUID } from 'node:crypto';
import type { FailureDetector } from './failure-detector.js';
import type { ReplicatedLog } from './replicated-log.js';
import { SystemClock, type Clock, type TimerHandle } from '../server/clock.js';
import { sleepOn } from './topology-clock.js';
import type { TopologyCommand, TopologyCommandResult, TopologyRequestSpec } from './topology-command.js';
import { ReplicatedLogError, TopologyAbortError, TopologyError, TopologyTimeoutError, type AbortRefusal } from './topology-errors.js';
import { describeGlobalRequest, describeTopologyRequest, findTopologyRequest, listTopologyRequests, type TopologyRequestFilter, type TopologyRequestInfo } from './topology-request-list.js';
import type { TopologyStateMachine } from './topology-state-machine.js';
import type { GlobalRequestKind, GlobalTopologyRequest, RejectionCode, TopologyRequest, TopologyState } from './topology-types.js';
import { isFinalStatus } from './topology-types.js';

/** The final outcome of a topology request. */
export interface TopologyOutcome {
  readonly requestId: string;
  /** `done`: completed; `failed`: started, then failed or rolled back; `rejected`: never started. */
  readonly status: 'done' | 'failed' | 'rejected';
  /** Rejection code, for `rejected`. */
  readonly code?: RejectionCode;
  /** Why, for `failed` and `rejected`. */
  readonly reason?: string;
}

/** Options of {@link TopologyClient}. */
export interface TopologyClientOptions {
  /** A replica of the topology log (proposals are forwarded to the leader by the log, or retried). */
  readonly log: ReplicatedLog;
  /** The state machine that replica applies into. */
  readonly stateMachine: TopologyStateMachine;
  /** Liveness sent with remove/replace submissions. @default every node alive */
  readonly failureDetector?: FailureDetector;
  /** @default new SystemClock() */
  readonly clock?: Clock;
  /** Attempts for a proposal that failed with a retryable log error. @default 20 */
  readonly maxAttempts?: number;
  /** Delay between attempts. @default 50 */
  readonly retryDelayMs?: number;
  /** Makes request ids. @default `<random uuid>-<n>` */
  readonly newRequestId?: () => string;
  /** Recorded as the `initiator` of every request this client submits (e.g. an operator or node name). @default none */
  readonly initiator?: string;
  /**
   * Source of the times recorded on requests (`createdAt`, `startedAt`, `endedAt`), in
   * milliseconds. Give every member the same kind of clock, e.g. a wall clock
   * (`{ now: () => Date.now() }`) in production or the simulator's clock: the default, the
   * `clock`, is `SystemClock`'s monotonic time in production, which is comparable only within
   * one process. @default the `clock`
   */
  readonly timestamps?: { now(): number };
}

/** Options of one submission. */
export interface SubmitOptions {
  /** Request id (an idempotent retry passes the same one). @default a new id from `newRequestId` */
  readonly requestId?: string;
  /** Overrides the client's `initiator` for this request. */
  readonly initiator?: string;
}

/** Options of one wait. */
export interface WaitOptions {
  /** Give up after this long with {@link TopologyTimeoutError}. @default no timeout */
  readonly timeoutMs?: number;
}

/** The outcome of a request in a final status (`done`, `failed` or `rejected`). */
export function outcomeOf(r: TopologyRequest | GlobalTopologyRequest): TopologyOutcome {
  return {
    requestId: r.id,
    status: r.status as TopologyOutcome['status'],
    ...(r.code !== undefined ? { code: r.code } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  };
}

/**
 * Submits topology requests and reads the topology. Submissions are
 * idempotent by request id: a proposal whose fate is unknown is retried with
 * the same id, and the state machine returns the existing request.
 */
export class TopologyClient {
  readonly #o: TopologyClientOptions;
  readonly #clock: Clock;
  readonly #newId: () => string;

  constructor(options: TopologyClientOptions) {
    this.#o = options;
    this.#clock = options.clock ?? new SystemClock();
    if (options.newRequestId) this.#newId = options.newRequestId;
    else {
      const prefix = randomUUID();
      let n = 0;
      this.#newId = () => `${prefix}-${++n}`;
    }
  }

  /**
   * Submits a request and resolves with its record once admitted or rejected
   * (status `pending` or `rejected`; for a re-submitted id, the current record).
   * Throws {@link ReplicatedLogError} when the log stays unavailable.
   */
  async submit(spec: TopologyRequestSpec, options: SubmitOptions = {}): Promise<TopologyRequest> {
    const requestId = options.requestId ?? this.#newId();
    const fd = this.#o.failureDetector;
    const liveness: Record<string, boolean> = {};
    if (fd) {
      for (const n of Object.values(this.#o.stateMachine.state.nodes)) if (n.state !== 'left') liveness[n.id] = fd.isAlive(n.id);
    }
    const result = await this.#propose({ type: 'submit', request: spec, requestId, liveness, ...this.#origin(options) });
    if (result.request) return result.request;
    throw new TopologyError(`topology submit ${requestId} failed: ${result.ok ? 'no request recorded' : result.reason}`, 'SUBMIT_FAILED');
  }

  /**
   * Submits a global request (`cleanup`: clean every node that lost ranges; `noop`: pass
   * through the coordinator) and resolves with its record once admitted (`pending`) or
   * rejected (a second `cleanup` while one is open: `duplicate_request`).
   */
  async submitGlobal(kind: GlobalRequestKind, options: SubmitOptions = {}): Promise<GlobalTopologyRequest> {
    const requestId = options.requestId ?? this.#newId();
    const result = await this.#propose({ type: 'submit_global', kind, requestId, ...this.#origin(options) });
    if (result.globalRequest) return result.globalRequest;
    throw new TopologyError(`topology submit_global ${requestId} failed: ${result.ok ? 'no request recorded' : result.reason}`, 'SUBMIT_FAILED');
  }

  /** Submits a global request and waits for its final outcome (see {@link submitGlobal}). */
  async requestGlobal(kind: GlobalRequestKind, options: WaitOptions & SubmitOptions = {}): Promise<TopologyOutcome> {
    const r = await this.submitGlobal(kind, options);
    if (isFinalStatus(r.status)) return outcomeOf(r);
    return this.waitForOutcome(r.id, options);
  }

  /**
   * Lists the requests this replica retains, node and global, in admission order, after a
   * read barrier (so a request admitted anywhere before the call is listed).
   */
  async listRequests(filter: TopologyRequestFilter = {}): Promise<TopologyRequestInfo[]> {
    await this.#o.log.readBarrier();
    return listTopologyRequests(this.#o.stateMachine.state, filter);
  }

  /** One request's record after a read barrier, or `undefined` when unknown (never admitted, or pruned). */
  async getRequest(requestId: string): Promise<TopologyRequestInfo | undefined> {
    await this.#o.log.readBarrier();
    return findTopologyRequest(this.#o.stateMachine.state, requestId);
  }

  /**
   * Aborts a pending request (node `leave`, `remove`, `rebuild`, or a global one): it ends
   * `rejected` with code `aborted`, and the coordinator never starts it. Retried like a
   * submission, and idempotent: a request already aborted resolves with its record. Throws
   * {@link TopologyAbortError} when the request is unknown, already started (`request_started`:
   * wait for its outcome), already final, or a `join`/`replace` (`not_abortable`).
   */
  async abortRequest(requestId: string): Promise<TopologyRequestInfo> {
    const result = await this.#propose({ type: 'abort_request', requestId, at: this.#now() });
    const record = result.request ? describeTopologyRequest(result.request) : result.globalRequest ? describeGlobalRequest(result.globalRequest) : undefined;
    if (result.ok && record) return record;
    if (!result.ok && result.code === 'request_final' && record?.code === 'aborted') return record; // an earlier attempt applied
    const refusal: AbortRefusal = !result.ok && ['unknown_request', 'request_started', 'request_final', 'not_abortable'].includes(result.code) ? (result.code as AbortRefusal) : 'unknown_request';
    throw new TopologyAbortError(requestId, refusal, `cannot abort topology request ${requestId}: ${result.ok ? 'no request recorded' : result.reason}`);
  }

  /** @deprecated use {@link abortRequest}. */
  async abort(requestId: string): Promise<TopologyRequestInfo> {
    return this.abortRequest(requestId);
  }

  #now(): number {
    return (this.#o.timestamps ?? this.#clock).now();
  }

  #origin(options: SubmitOptions): { initiator?: string; at: number } {
    const initiator = options.initiator ?? this.#o.initiator;
    return { ...(initiator !== undefined ? { initiator } : {}), at: this.#now() };
  }

  /** Proposes, retrying retryable log errors (`maxAttempts`, `retryDelayMs`); commands are idempotent by request id. */
  async #propose(command: TopologyCommand): Promise<TopologyCommandResult> {
    const attempts = this.#o.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#o.log.propose(command);
      } catch (e) {
        if (!(e instanceof ReplicatedLogError) || e.reason === 'stopped' || attempt >= attempts) throw e;
        await sleepOn(this.#clock, this.#o.retryDelayMs ?? 50);
      }
    }
  }

  /**
   * Resolves with the request's final outcome, as applied on this client's
   * replica. Throws {@link TopologyTimeoutError} on timeout, and
   * {@link TopologyError} (`UNKNOWN_REQUEST`) when the replica has no such request.
   */
  async waitForOutcome(requestId: string, options: WaitOptions = {}): Promise<TopologyOutcome> {
    const sm = this.#o.stateMachine;
    // This replica may lag behind the one that admitted the request: catch up first.
    const find = (state: TopologyState): TopologyRequest | GlobalTopologyRequest | undefined => state.requests[requestId] ?? state.globalRequests[requestId];
    if (!find(sm.state)) await this.#o.log.readBarrier();
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const check = (state: TopologyState): boolean => {
        const r = find(state);
        if (!r) {
          done();
          reject(new TopologyError(`topology request ${requestId} is unknown on this replica (never admitted, or pruned)`, 'UNKNOWN_REQUEST'));
          return true;
        }
        if (!isFinalStatus(r.status)) return false;
        done();
        resolve(outcomeOf(r));
        return true;
      };
      const unsubscribe = sm.onApply((_c, _r, state) => void check(state));
      const done = (): void => {
        unsubscribe();
        timer?.cancel();
      };
      if (check(sm.state)) return;
      if (options.timeoutMs !== undefined) {
        timer = this.#clock.setTimeout(() => {
          done();
          reject(new TopologyTimeoutError(`topology request ${requestId} did not finish within ${options.timeoutMs} ms`, { requestId }));
        }, options.timeoutMs);
      }
    });
  }

  /** Submits a request and waits for its final outcome. */
  async request(spec: TopologyRequestSpec, options: WaitOptions & SubmitOptions = {}): Promise<TopologyOutcome> {
    const r = await this.submit(spec, options);
    if (isFinalStatus(r.status)) return outcomeOf(r);
    return this.waitForOutcome(r.id, options);
  }

  /** Reads the topology linearizably: a read barrier, then this replica's state. */
  async read(): Promise<TopologyState> {
    await this.#o.log.readBarrier();
    return this.#o.stateMachine.state;
  }
}
