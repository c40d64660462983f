import { NodeExcludedError } from '../errors/attempt-errors.js';
import { UnrecoverableError } from '../errors/task-errors.js';

/** One execution (an attempt: preconditions, then execute) in flight. */
export interface InFlightExecution {
  jobId: string;
  cluster: string;
  /** Absent for a cluster step. */
  nodeId?: string;
  stepId: string;
  attempt: number;
  /** Clock time it started, ms since epoch. */
  since: number;
}

/** What {@link InFlightRegistry.claim} returns: release it once the attempt settled. */
export interface InFlightClaim {
  readonly execution: InFlightExecution;
  /** The attempt settled: the node is free again. */
  release(): void;
  /**
   * The attempt did not settle within its grace: the node stays occupied for
   * the life of this registry (the process), whatever `settled` later does.
   */
  abandon(settled: Promise<unknown>): void;
}

const CLUSTER_KEY = '\u0000cluster-step';

/**
 * The one owner of "an execution is in flight on node N", shared by every run
 * of an {@link Engine} (so a retry, a slot refill or an in-process resume asks
 * the same place). An attempt claims its node before it starts and releases it
 * only once its `execute` and condition checks have settled; a second claim on
 * a busy node is refused ({@link claim}) or waits for it ({@link acquire}, what
 * the engine uses: two jobs allowed to run concurrently on one cluster take
 * turns on a node). A node whose attempt was abandoned stays claimed: every
 * later claim throws {@link NodeExcludedError}.
 */
export class InFlightRegistry {
  readonly #busy = new Map<string, InFlightExecution>();
  readonly #freed = new Map<string, Promise<void>>();
  readonly #abandoned = new Map<string, InFlightExecution>();
  readonly #perJob = new Map<string, number>();
  readonly #idleWaiters = new Map<string, Array<() => void>>();

  #key(cluster: string, nodeId: string | undefined, jobId: string): string {
    // Cluster steps do not act on one node: keyed per job so that they only
    // count for the job's own bookkeeping.
    return nodeId === undefined ? `${jobId}${CLUSTER_KEY}` : `${cluster}\u0000${nodeId}`;
  }

  /**
   * Claims the node for one attempt.
   * @throws NodeExcludedError when an abandoned attempt still holds the node;
   *   UnrecoverableError (code `NODE_BUSY`) when another attempt holds it.
   */
  claim(execution: InFlightExecution): InFlightClaim {
    const key = this.#key(execution.cluster, execution.nodeId, execution.jobId);
    const stuck = this.#abandoned.get(key);
    if (stuck) throw new NodeExcludedError(execution.nodeId ?? '(cluster)', stuck.stepId);
    const busy = this.#busy.get(key);
    if (busy) {
      throw new UnrecoverableError(
        `refusing to start step ${execution.stepId} on ${execution.nodeId ?? 'the cluster'}: step ${busy.stepId} attempt ${busy.attempt} of job ${busy.jobId} is still in flight there`,
        { code: 'NODE_BUSY', details: { ...execution, busyWith: { ...busy } } },
      );
    }
    const entry = Object.freeze({ ...execution });
    this.#busy.set(key, entry);
    let freed!: () => void;
    this.#freed.set(key, new Promise<void>((r) => (freed = r)));
    this.#perJob.set(entry.jobId, (this.#perJob.get(entry.jobId) ?? 0) + 1);
    let done = false;
    const finish = (): void => {
      const n = (this.#perJob.get(entry.jobId) ?? 1) - 1;
      if (n > 0) this.#perJob.set(entry.jobId, n);
      else {
        this.#perJob.delete(entry.jobId);
        const waiters = this.#idleWaiters.get(entry.jobId) ?? [];
        this.#idleWaiters.delete(entry.jobId);
        for (const w of waiters) w();
      }
    };
    return {
      execution: entry,
      release: () => {
        if (done) return;
        done = true;
        this.#busy.delete(key);
        this.#freed.delete(key);
        finish();
        freed();
      },
      abandon: (settled: Promise<unknown>) => {
        if (done) return;
        done = true;
        this.#busy.delete(key);
        this.#abandoned.set(key, entry);
        this.#freed.delete(key);
        finish();
        freed();
        void settled.then(
          () => {},
          () => {},
        );
      },
    };
  }

  /**
   * Claims the node for one attempt, waiting while another attempt holds it.
   * @throws NodeExcludedError when an abandoned attempt holds the node; the
   *   signal's reason when it aborts while waiting.
   */
  async acquire(execution: InFlightExecution, signal?: AbortSignal): Promise<InFlightClaim> {
    const key = this.#key(execution.cluster, execution.nodeId, execution.jobId);
    for (;;) {
      const freed = this.#freed.get(key);
      if (freed === undefined || this.#abandoned.has(key)) return this.claim(execution);
      if (signal?.aborted) throw signal.reason;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        void freed.then(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The execution in flight on a node, if any (abandoned ones included). */
  get(cluster: string, nodeId: string): InFlightExecution | undefined {
    const key = this.#key(cluster, nodeId, '');
    return this.#busy.get(key) ?? this.#abandoned.get(key);
  }

  /** Whether an abandoned attempt keeps the node out of this process's work. */
  isExcluded(cluster: string, nodeId: string): boolean {
    return this.#abandoned.has(this.#key(cluster, nodeId, ''));
  }

  /** Attempts of job `jobId` in flight now (abandoned ones not counted). */
  inFlight(jobId: string): number {
    return this.#perJob.get(jobId) ?? 0;
  }

  /** Every execution in flight now, abandoned ones last. */
  list(): { inFlight: InFlightExecution[]; abandoned: InFlightExecution[] } {
    return { inFlight: [...this.#busy.values()], abandoned: [...this.#abandoned.values()] };
  }

  /** Resolves once job `jobId` has no attempt in flight. */
  whenIdle(jobId: string): Promise<void> {
    if (this.inFlight(jobId) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#idleWaiters.get(jobId) ?? [];
      list.push(resolve);
      this.#idleWaiters.set(jobId, list);
    });
  }
}
