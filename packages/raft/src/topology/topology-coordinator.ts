import type { TopologyTestingKnobs } from './topology-testing-knobs.js';
import type { FailureDetector } from './failure-detector.js';
import type { ReplicatedLog, RoleChange } from './replicated-log.js';
import { checkStart } from './topology-admission.js';
import { nextGlobalRequest, nextRequest } from './next-request.js';
import { SystemClock, type Clock } from '../server/clock.js';
import { sleepOn, WakeSignal } from './topology-clock.js';
import type { SagaStep, StepGuard, TopologyCommandResult } from './topology-command.js';
import { ReplicatedLogError, TopologyError, TopologyStoppedError } from './topology-errors.js';
import type { AgentCommand, TopologyNodeAgent } from './topology-node-agent.js';
import type { TopologyStateMachine } from './topology-state-machine.js';
import type { TopologyState } from './topology-types.js';
import { NOOP_MEMBERSHIP, type TopologyMembership } from './topology-membership.js';
import { callAgent, Conflict, Deposed, newRun, type AgentCallContext, type Run } from './coordinator-run.js';
import { BarrierRetryTracker, type BarrierRetryPolicy } from './barrier-retry-policy.js';
import { cancellationsForDeadNodes } from './request-cancellation.js';
import { cleanupBeforeRemoval } from './cleanup-before-removal.js';
import { nodesNeedingCleanup } from './global-request-steps.js';
import { barrierAll, globalBarrier, runGlobalRequest, streamRanges, streamTargets, type CoordinatorRpc } from './coordinator-rpc.js';

/** Something the coordinator did, for tracing and tests. */
export type CoordinatorEvent =
  | { readonly type: 'started'; readonly term: number }
  | { readonly type: 'stopped'; readonly term: number }
  | { readonly type: 'step'; readonly term: number; readonly guard: StepGuard; readonly step: SagaStep; readonly result: TopologyCommandResult }
  | { readonly type: 'retry'; readonly term: number; readonly error: unknown };

/** Options of {@link TopologyCoordinator}. */
export interface TopologyCoordinatorOptions {
  /** The node this coordinator runs on (beside its replica of the log). */
  readonly nodeId: string;
  /** This node's replica of the topology log. */
  readonly log: ReplicatedLog;
  /** This node's topology state machine (the log applies into it). */
  readonly stateMachine: TopologyStateMachine;
  /** Resolves a node id to the agent to call (over the network or in-process). */
  readonly agents: (nodeId: string) => TopologyNodeAgent;
  /** This node's view of which nodes are alive. */
  readonly failureDetector: FailureDetector;
  /** @default new SystemClock() */
  readonly clock?: Clock;
  /** @default no-ops */
  readonly membership?: TopologyMembership;
  /** Timeout of a barrier or shutdown call. @default 2000 */
  readonly rpcTimeoutMs?: number;
  /** Timeout of a stream_ranges call. @default 60000 */
  readonly streamTimeoutMs?: number;
  /** Sleep after an unexpected error before trying again (ScyllaDB: 1 s). @default 1000 */
  readonly retryDelayMs?: number;
  /** Sleep before the first retry of a failed global barrier in a write-both phase (see `barrierRetry`). @default 100 */
  readonly barrierRetryDelayMs?: number;
  /**
   * Bounds the retries of a failed global barrier in `write_both_read_old` and
   * `write_both_read_new`: after `maxAttempts` attempts or `maxElapsedMs`, the operation is
   * rolled back with the last error as reason. @default {@link DEFAULT_BARRIER_RETRY}, first delay `barrierRetryDelayMs`
   */
  readonly barrierRetry?: BarrierRetryPolicy;
  /** Timeout of one node's cleanup call (global `cleanup` request). @default 60000 */
  readonly cleanupTimeoutMs?: number;
  /**
   * Source of the times recorded on requests (`createdAt`, `startedAt`, `endedAt`), in
   * milliseconds. Give every member the same kind of clock, e.g. a wall clock
   * (`{ now: () => Date.now() }`) in production or the simulator's clock: the default, the
   * `clock`, is `SystemClock`'s monotonic time in production, which is comparable only within
   * one process. @default the `clock`
   */
  readonly timestamps?: { now(): number };
  /** Receives every event. @default none */
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** Deliberate defects for mutation tests. @default none */
  readonly testingKnobs?: TopologyTestingKnobs;
}

/**
 * Drives every topology change as a saga of committed steps. Runs only while
 * its replica is leader and stops on any role change. On start it fences the
 * previous coordinator (a committed no-op in its term); then, in a loop, it
 * takes a read barrier, reads the state, and performs the next step of the
 * operation in progress, or starts the pending request of highest priority
 * (replace, join, remove, leave, rebuild). Each step is one command guarded by
 * the `stateId` it was decided on and the coordinator's term, so a deposed
 * coordinator's step can never apply, and a new coordinator resumes from the
 * replicated state alone.
 */
export class TopologyCoordinator {
  readonly #o: TopologyCoordinatorOptions;
  readonly #clock: Clock;
  readonly #membership: TopologyMembership;
  readonly #wake = new WakeSignal();
  #run: Run | undefined;
  #index = 0;
  #pendingRollback: { requestId: string; reason: string } | undefined;
  #unsubscribe: (() => void)[] = [];
  #loop: Promise<void> = Promise.resolve();
  readonly #barrierRetry: BarrierRetryTracker;
  readonly #calls: AgentCallContext;
  readonly #rpc: CoordinatorRpc;

  constructor(options: TopologyCoordinatorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? new SystemClock();
    this.#membership = options.membership ?? NOOP_MEMBERSHIP;
    this.#barrierRetry = new BarrierRetryTracker(options.barrierRetry, options.barrierRetryDelayMs ?? 100);
    this.#calls = {
      clock: this.#clock,
      failureDetector: options.failureDetector,
      agents: options.agents,
      coordinatorId: options.nodeId,
      nextIndex: () => ++this.#index,
    };
    this.#rpc = {
      call: (run, nodeId, what, fn, timeoutMs) => callAgent(this.#calls, run, nodeId, what, fn, timeoutMs),
      step: (run, guard, step) => this.#step(run, guard, step),
      rpcTimeoutMs: options.rpcTimeoutMs ?? 2000,
      streamTimeoutMs: options.streamTimeoutMs ?? 60_000,
      cleanupTimeoutMs: options.cleanupTimeoutMs ?? 60_000,
      skipFence: options.testingKnobs?.skipFence === true,
    };
  }

  /** The effective barrier retry policy (milliseconds). */
  get barrierRetryPolicy(): Readonly<Required<BarrierRetryPolicy>> {
    return this.#barrierRetry.policy;
  }

  /** The term of the running coordinator, or `undefined` when not running. */
  get activeTerm(): number | undefined {
    return this.#run?.active ? this.#run.term : undefined;
  }

  /** Starts watching the replica's role; runs at once if it is leader. */
  start(): void {
    if (this.#unsubscribe.length > 0) return;
    this.#unsubscribe = [
      this.#o.log.onRoleChange((c) => this.#onRole(c)),
      this.#o.stateMachine.onApply(() => this.#wake.notify()),
      this.#o.failureDetector.onChange(() => this.#wake.notify()),
    ];
    if (this.#o.log.isLeader()) this.#onRole({ leader: true, term: this.#o.log.term() });
  }

  /** Stops the coordinator and stops watching. Resolves when the loop has exited. */
  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.#halt();
    await this.#loop;
  }

  #onRole(change: RoleChange): void {
    if (this.#run?.active && (!change.leader || change.term !== this.#run.term)) this.#halt();
    if (change.leader && !this.#run?.active) {
      const run = newRun(change.term);
      this.#run = run;
      const previous = this.#loop;
      this.#loop = previous.then(() => this.#main(run));
    }
  }

  #halt(): void {
    const run = this.#run;
    if (run?.active) run.stop();
    this.#wake.notify();
  }

  #emit(event: CoordinatorEvent): void {
    this.#o.onEvent?.(event);
  }

  async #main(run: Run): Promise<void> {
    if (!run.active) return;
    this.#pendingRollback = undefined;
    this.#barrierRetry.reset();
    this.#emit({ type: 'started', term: run.term });
    try {
      while (run.active) {
        try {
          const r = await this.#race(run, this.#o.log.propose({ type: 'fence_coordinator', term: run.term }));
          if (!r.ok) throw new Deposed(r.reason);
          break;
        } catch (e) {
          if (e instanceof Deposed || !run.active) throw e;
          this.#emit({ type: 'retry', term: run.term, error: e });
          await this.#race(run, sleepOn(this.#clock, this.#o.retryDelayMs ?? 1000));
        }
      }
      while (run.active) {
        const wake = this.#wake.wait();
        try {
          const worked = await this.#tick(run);
          if (!worked) await this.#race(run, wake);
        } catch (e) {
          if (!run.active || e instanceof Deposed) break;
          run.needBarrier = true;
          if (e instanceof Conflict) continue;
          this.#emit({ type: 'retry', term: run.term, error: e });
          await this.#race(run, sleepOn(this.#clock, this.#o.retryDelayMs ?? 1000));
        }
      }
    } catch {
      // stopped or deposed
    } finally {
      if (run.active) run.stop();
      this.#emit({ type: 'stopped', term: run.term });
    }
  }

  #race<T>(run: Run, p: Promise<T>): Promise<T> {
    return Promise.race([p, run.stopped]);
  }

  async #step(run: Run, guard: StepGuard, step: SagaStep): Promise<StepGuard> {
    if (!run.active) throw new TopologyStoppedError('coordinator stopped');
    const result = await this.#race(run, this.#o.log.propose({ type: 'step', guard, step, at: (this.#o.timestamps ?? this.#clock).now() }));
    this.#emit({ type: 'step', term: run.term, guard, step, result });
    if (result.ok) return { stateId: result.stateId, term: run.term };
    if (result.code === 'stale_term') throw new Deposed(result.reason);
    if (result.code === 'concurrent_modification') throw new Conflict(result.reason);
    throw new TopologyError(`topology step ${step.kind} for ${step.requestId} failed: ${result.reason}`, 'STEP_FAILED', {
      details: { step, code: result.code },
    });
  }

  /** One decision: returns false when there was nothing to do. */
  async #tick(run: Run): Promise<boolean> {
    // After a step of ours was applied here, the local state is current as of that step;
    // anything applied since only makes the next guard fail, so no barrier is needed.
    if (run.needBarrier) {
      await this.#race(run, this.#o.log.readBarrier());
      run.needBarrier = false;
    }
    if (!run.active) return false;
    const s = this.#o.stateMachine.state;
    if (s.coordinatorTerm > run.term) throw new Deposed(`term ${run.term} fenced by ${s.coordinatorTerm}`);
    const guard: StepGuard = { stateId: s.stateId, term: run.term };
    const isAlive = (id: string): boolean => this.#o.failureDetector.isAlive(id);
    // Pending requests whose node is reported dead are cancelled at once, also between the
    // steps of another operation.
    const cancel = cancellationsForDeadNodes(s, isAlive)[0];
    if (cancel) {
      await this.#step(run, guard, { kind: 'reject_request', requestId: cancel.requestId, code: cancel.code, reason: cancel.reason });
      return true;
    }
    if (s.transition) {
      await this.#transition(run, s, guard);
      return true;
    }
    if (s.globalRequest !== null) {
      await runGlobalRequest(this.#rpc, run, guard, s.globalRequests[s.globalRequest]!);
      return true;
    }
    const next = nextRequest(s);
    if (next) {
      const before = cleanupBeforeRemoval(s, next, isAlive);
      if (before?.action === 'start') {
        await this.#step(run, guard, { kind: 'start_global', requestId: before.requestId });
        return true;
      }
      if (before?.action === 'submit') {
        const at = (this.#o.timestamps ?? this.#clock).now();
        await this.#race(run, this.#o.log.propose({ type: 'submit_global', kind: 'cleanup', requestId: before.requestId, initiator: `coordinator ${this.#o.nodeId}`, at }));
        return true;
      }
      const rejection = checkStart(s, next, isAlive);
      if (rejection) {
        await this.#step(run, guard, { kind: 'reject_request', requestId: next.id, code: rejection.code, reason: rejection.reason });
      } else {
        await this.#step(run, guard, { kind: 'start', requestId: next.id });
      }
      return true;
    }
    const global = nextGlobalRequest(s);
    if (!global) return false;
    const down = global.kind === 'cleanup' ? nodesNeedingCleanup(s).filter((n) => !isAlive(n.id)).map((n) => n.id) : [];
    if (down.length > 0) {
      const reason = `cancelled: cleanup needs node(s) ${down.join(', ')}, which the failure detector reports down; bring them back (or remove them) and submit again`;
      await this.#step(run, guard, { kind: 'reject_request', requestId: global.id, code: 'node_down', reason });
    } else {
      await this.#step(run, guard, { kind: 'start_global', requestId: global.id });
    }
    return true;
  }

  async #transition(run: Run, s: TopologyState, guard: StepGuard): Promise<void> {
    const t = s.transition!;
    const node = s.nodes[t.nodeId]!;
    const request = s.requests[t.requestId]!;
    const joining = t.kind === 'join' || t.kind === 'replace';
    const canRollback =
      t.rollbackReason === undefined &&
      (joining
        ? s.tstate !== 'left_token_ring'
        : (t.kind === 'leave' || t.kind === 'remove') && (s.tstate === 'write_both_read_old' || s.tstate === 'write_both_read_new'));
    if (canRollback) {
      if (this.#pendingRollback?.requestId === t.requestId) {
        await this.#rollback(run, guard, t.requestId, this.#pendingRollback.reason);
        return;
      }
      if (joining && !this.#o.testingKnobs?.skipDeadJoinerAbort && !this.#o.failureDetector.isAlive(node.id)) {
        await this.#rollback(run, guard, t.requestId, `node ${node.id} died during ${t.kind} (failure detector)`);
        return;
      }
    }
    const rid = t.requestId;
    switch (s.tstate) {
      case null: {
        // rebuild: stream, then back to normal; a failure is only recorded on the request.
        let error: string | undefined;
        try {
          await streamRanges(this.#rpc, run, s, request, [node.id]);
        } catch (e) {
          if (!run.active) throw e;
          error = `rebuild of ${node.id} failed: ${(e as Error).message}`;
        }
        const finish = { kind: 'finish_rebuild' as const, requestId: rid, session: s.session };
        await this.#step(run, guard, error === undefined ? finish : { ...finish, error });
        return;
      }
      case 'join_group0':
        await this.#race(run, this.#membership.addNonVoter(node));
        await this.#step(run, guard, { kind: 'accept_node', requestId: rid });
        return;
      case 'commit_cdc_generation':
        try {
          await barrierAll(this.#rpc, run, s, 'barrier');
        } catch (e) {
          if (!run.active) throw e;
          await this.#rollback(run, guard, rid, `barrier before committing the new generation failed: ${(e as Error).message}`);
          return;
        }
        await this.#step(run, guard, { kind: 'commit_cdc', requestId: rid });
        return;
      case 'write_both_read_old': {
        const g = await this.#writeBothBarrier(run, s, guard);
        if (!g) return;
        try {
          await streamRanges(this.#rpc, run, s, request, streamTargets(s, request));
        } catch (e) {
          if (!run.active) throw e;
          await this.#rollback(run, g, rid, `streaming failed: ${(e as Error).message}`);
          return;
        }
        await this.#step(run, g, { kind: 'streamed', requestId: rid, session: s.session });
        return;
      }
      case 'write_both_read_new': {
        const g = await this.#writeBothBarrier(run, s, guard);
        if (!g) return;
        if (t.kind === 'replace') await this.#race(run, this.#membership.remove(request.params.replacedId!));
        await this.#race(run, this.#membership.promoteToVoter(node.id));
        await this.#step(run, g, { kind: 'finish_write_both', requestId: rid });
        return;
      }
      case 'left_token_ring': {
        if (node.id === this.#o.nodeId && this.#membership.stepDown) {
          const candidates = Object.values(s.nodes)
            .filter((n) => n.state === 'normal' && n.id !== node.id)
            .map((n) => n.id);
          await this.#race(run, this.#membership.stepDown(candidates));
          return;
        }
        let g = guard;
        try {
          g = await globalBarrier(this.#rpc, run, s, guard);
        } catch (e) {
          // ScyllaDB continues after a failed barrier here; not after a failed fence command
          // (a lost leadership drops it, and finishing without it would skip the fence).
          if (!run.active || e instanceof Conflict || e instanceof Deposed || e instanceof ReplicatedLogError) throw e;
        }
        if (t.kind === 'leave' || joining) {
          await this.#call(run, node.id, 'shutdown', (a, c) => a.shutdown(c), this.#o.rpcTimeoutMs ?? 2000).catch(() => {});
        }
        await this.#race(run, this.#membership.remove(node.id));
        await this.#step(run, g, { kind: 'finish_left', requestId: rid });
        return;
      }
      case 'rollback_to_normal': {
        let g = guard;
        try {
          g = await globalBarrier(this.#rpc, run, s, guard);
        } catch (e) {
          if (!run.active || e instanceof Conflict || e instanceof Deposed || e instanceof ReplicatedLogError) throw e;
        }
        if (t.kind === 'remove') await this.#race(run, this.#membership.addNonVoter(node));
        await this.#step(run, g, { kind: 'finish_rollback', requestId: rid });
        return;
      }
    }
  }

  /**
   * The global barrier of a write-both phase. On failure it sleeps the retry delay and
   * returns `undefined` (the next decision tries again), until the {@link BarrierRetryPolicy}
   * budget is spent; then it rolls the operation back with the reason and returns `undefined`.
   * A lost leadership or a conflict is thrown to the main loop instead.
   */
  async #writeBothBarrier(run: Run, s: TopologyState, guard: StepGuard): Promise<StepGuard | undefined> {
    const rid = s.transition!.requestId;
    const phase = `${rid}/${s.tstate}`;
    try {
      const g = await globalBarrier(this.#rpc, run, s, guard);
      this.#barrierRetry.succeeded(phase);
      return g;
    } catch (e) {
      if (!run.active || e instanceof Conflict || e instanceof Deposed || e instanceof ReplicatedLogError) throw e;
      const decision = this.#barrierRetry.failed(phase, this.#clock.now(), (e as Error)?.message ?? String(e));
      if (decision.retry) {
        this.#emit({ type: 'retry', term: run.term, error: e });
        await this.#race(run, sleepOn(this.#clock, decision.delayMs));
        return undefined;
      }
      await this.#rollback(run, guard, rid, `${s.tstate}: ${decision.reason}`);
      return undefined;
    }
  }

  async #rollback(run: Run, guard: StepGuard, requestId: string, reason: string): Promise<void> {
    this.#pendingRollback = { requestId, reason };
    await this.#step(run, guard, { kind: 'rollback', requestId, reason });
    this.#pendingRollback = undefined;
  }

  #call<T>(run: Run, nodeId: string, what: string, fn: (agent: TopologyNodeAgent, cmd: AgentCommand) => Promise<T>, timeoutMs: number): Promise<T> {
    return callAgent(this.#calls, run, nodeId, what, fn, timeoutMs);
  }
}
