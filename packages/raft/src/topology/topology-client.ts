import { randomUUID } from 'node:crypto';
import type { FailureDetector } from './failure-detector.js';
import type { ReplicatedLog } from './replicated-log.js';
import { SystemClock, type Clock, type TimerHandle } from '../server/clock.js';
import { sleepOn } from './topology-clock.js';
import type { TopologyRequestSpec } from './topology-command.js';
import { ReplicatedLogError, TopologyError, TopologyTimeoutError } from './topology-errors.js';
import type { TopologyStateMachine } from './topology-state-machine.js';
import type { RejectionCode, TopologyRequest, TopologyState } from './topology-types.js';
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
}

/** Options of one wait. */
export interface WaitOptions {
  /** Give up after this long with {@link TopologyTimeoutError}. @default no timeout */
  readonly timeoutMs?: number;
}

/** The outcome of a request in a final status (`done`, `failed` or `rejected`). */
export function outcomeOf(r: TopologyRequest): TopologyOutcome {
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
  async submit(spec: TopologyRequestSpec, options: { requestId?: string } = {}): Promise<TopologyRequest> {
    const requestId = options.requestId ?? this.#newId();
    const fd = this.#o.failureDetector;
    const liveness: Record<string, boolean> = {};
    if (fd) {
      for (const n of Object.values(this.#o.stateMachine.state.nodes)) if (n.state !== 'left') liveness[n.id] = fd.isAlive(n.id);
    }
    const attempts = this.#o.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.#o.log.propose({ type: 'submit', request: spec, requestId, liveness });
        if (result.request) return result.request;
        throw new TopologyError(`topology submit ${requestId} failed: ${result.ok ? 'no request recorded' : result.reason}`, 'SUBMIT_FAILED');
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
    if (!sm.state.requests[requestId]) await this.#o.log.readBarrier();
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const check = (state: TopologyState): boolean => {
        const r = state.requests[requestId];
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
  async request(spec: TopologyRequestSpec, options: WaitOptions & { requestId?: string } = {}): Promise<TopologyOutcome> {
    const r = await this.submit(spec, options.requestId === undefined ? {} : { requestId: options.requestId });
    if (isFinalStatus(r.status)) return outcomeOf(r);
    return this.waitForOutcome(r.id, options);
  }

  /** Aborts a pending leave, remove or rebuild request; resolves with the apply result's request. */
  async abort(requestId: string): Promise<TopologyRequest | undefined> {
    const result = await this.#o.log.propose({ type: 'abort_request', requestId });
    if (!result.ok) throw new TopologyError(`cannot abort ${requestId}: ${result.reason}`, 'ABORT_FAILED', { details: { code: result.code } });
    return result.request;
  }

  /** Reads the topology linearizably: a read barrier, then this replica's state. */
  async read(): Promise<TopologyState> {
    await this.#o.log.readBarrier();
    return this.#o.stateMachine.state;
  }
}
