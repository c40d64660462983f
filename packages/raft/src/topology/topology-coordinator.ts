import type { TopologyTestingKnobs } from './topology-testing-knobs.js';
import type { FailureDetector } from './failure-detector.js';
import type { ReplicatedLog, RoleChange } from './replicated-log.js';
import { checkStart, openRequests } from './topology-admission.js';
import { SystemClock, type Clock } from '../server/clock.js';
import { sleepOn, WakeSignal } from './topology-clock.js';
import type { SagaStep, StepGuard, TopologyCommandResult } from './topology-command.js';
import { ReplicatedLogError, TopologyError, TopologyRpcError, TopologyStoppedError } from './topology-errors.js';
import type { AgentCommand, StreamRangesCommand, TopologyNodeAgent } from './topology-node-agent.js';
import type { TopologyStateMachine } from './topology-state-machine.js';
import type { TopologyNode, TopologyRequest, TopologyState } from './topology-types.js';
import { REQUEST_KINDS } from './topology-types.js';

/**
 * Raft group membership, as the coordinator changes it (ScyllaDB adds a joining
 * node to group 0 as a non-voter, promotes it once normal, removes a node that
 * left). Every method must be idempotent. @default no-ops
 */
export interface TopologyMembership {
  addNonVoter(node: TopologyNode): Promise<void>;
  promoteToVoter(nodeId: string): Promise<void>;
  remove(nodeId: string): Promise<void>;
  /**
   * Hands Raft leadership to another voter. Called when the node leaving the
   * ring is the coordinator's own node (ScyllaDB: step_down_as_nonvoter), so
   * that another coordinator removes it. @default absent: the leaving
   * coordinator finishes its own removal. `candidates` are the other normal
   * nodes, to promote first when no other voter is left.
   */
  stepDown?(candidates: readonly string[]): Promise<void>;
}

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
  /** Sleep before retrying a failed barrier in write_both_read_new. @default 100 */
  readonly barrierRetryDelayMs?: number;
  /** Receives every event. @default none */
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** Deliberate defects for mutation tests. @default none */
  readonly testingKnobs?: TopologyTestingKnobs;
}

const NOOP_MEMBERSHIP: TopologyMembership = {
  addNonVoter: async () => {},
  promoteToVoter: async () => {},
  remove: async () => {},
};

/** A step did not apply because the state moved on: decide again at once. */
class Conflict extends Error {}
/** The coordinator's term was fenced: this coordinator is finished. */
class Deposed extends Error {}

interface Run {
  readonly term: number;
  active: boolean;
  /** Take a read barrier before the next decision (at start and after any failure). */
  needBarrier: boolean;
  readonly stopped: Promise<never>;
  readonly onStop: Set<(e: Error) => void>;
  stop(): void;
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

  constructor(options: TopologyCoordinatorOptions) {
    this.#o = options;
    this.#clock = options.clock ?? new SystemClock();
    this.#membership = options.membership ?? NOOP_MEMBERSHIP;
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
      const run = this.#newRun(change.term);
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

  #newRun(term: number): Run {
    let stop!: (e: Error) => void;
    const stopped = new Promise<never>((_, reject) => {
      stop = reject;
    });
    stopped.catch(() => {});
    const run: Run = {
      term,
      active: true,
      needBarrier: true,
      stopped,
      onStop: new Set(),
      stop: () => {
        run.active = false;
        const e = new TopologyStoppedError(`topology coordinator of term ${term} stopped`);
        stop(e);
        for (const fn of run.onStop) fn(e);
        run.onStop.clear();
      },
    };
    return run;
  }

  #emit(event: CoordinatorEvent): void {
    this.#o.onEvent?.(event);
  }

  async #main(run: Run): Promise<void> {
    if (!run.active) return;
    this.#pendingRollback = undefined;
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
    const result = await this.#race(run, this.#o.log.propose({ type: 'step', guard, step }));
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
    if (s.transition) {
      await this.#transition(run, s, guard);
      return true;
    }
    const next = nextRequest(s);
    if (!next) return false;
    const isAlive = (id: string): boolean => this.#o.failureDetector.isAlive(id);
    const rejection = checkStart(s, next, isAlive);
    if (rejection) {
      await this.#step(run, guard, { kind: 'reject_request', requestId: next.id, code: rejection.code, reason: rejection.reason });
    } else {
      await this.#step(run, guard, { kind: 'start', requestId: next.id });
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
      (joining ? s.tstate !== 'left_token_ring' : (t.kind === 'leave' || t.kind === 'remove') && s.tstate === 'write_both_read_old');
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
          await this.#stream(run, s, request, [node.id]);
        } catch (e) {
          if (!run.active) throw e;
          error = `rebuild of ${node.id} failed: ${(e as Error).message}`;
        }
        await this.#step(run, guard, error === undefined ? { kind: 'finish_rebuild', requestId: rid } : { kind: 'finish_rebuild', requestId: rid, error });
        return;
      }
      case 'join_group0':
        await this.#race(run, this.#membership.addNonVoter(node));
        await this.#step(run, guard, { kind: 'accept_node', requestId: rid });
        return;
      case 'commit_cdc_generation':
        try {
          await this.#barrierAll(run, s, 'barrier');
        } catch (e) {
          if (!run.active) throw e;
          await this.#rollback(run, guard, rid, `barrier before committing the new generation failed: ${(e as Error).message}`);
          return;
        }
        await this.#step(run, guard, { kind: 'commit_cdc', requestId: rid });
        return;
      case 'write_both_read_old': {
        let g = guard;
        try {
          g = await this.#globalBarrier(run, s, guard);
        } catch (e) {
          if (!run.active || e instanceof Conflict || e instanceof Deposed) throw e;
          await this.#rollback(run, g, rid, `global barrier in write_both_read_old failed: ${(e as Error).message}`);
          return;
        }
        try {
          await this.#stream(run, s, request, this.#streamTargets(s, request));
        } catch (e) {
          if (!run.active) throw e;
          await this.#rollback(run, g, rid, `streaming failed: ${(e as Error).message}`);
          return;
        }
        await this.#step(run, g, { kind: 'streamed', requestId: rid });
        return;
      }
      case 'write_both_read_new': {
        let g: StepGuard;
        try {
          g = await this.#globalBarrier(run, s, guard);
        } catch (e) {
          if (!run.active || e instanceof Conflict || e instanceof Deposed) throw e;
          this.#emit({ type: 'retry', term: run.term, error: e });
          await this.#race(run, sleepOn(this.#clock, this.#o.barrierRetryDelayMs ?? 100));
          return;
        }
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
          g = await this.#globalBarrier(run, s, guard);
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
          g = await this.#globalBarrier(run, s, guard);
        } catch (e) {
          if (!run.active || e instanceof Conflict || e instanceof Deposed || e instanceof ReplicatedLogError) throw e;
        }
        if (t.kind === 'remove') await this.#race(run, this.#membership.addNonVoter(node));
        await this.#step(run, g, { kind: 'finish_rollback', requestId: rid });
        return;
      }
    }
  }

  async #rollback(run: Run, guard: StepGuard, requestId: string, reason: string): Promise<void> {
    this.#pendingRollback = { requestId, reason };
    await this.#step(run, guard, { kind: 'rollback', requestId, reason });
    this.#pendingRollback = undefined;
  }

  /** Nodes that take part in barriers: members of the ring, not left, not ignored. */
  #barrierTargets(s: TopologyState): string[] {
    return Object.values(s.nodes)
      .filter((n) => n.state !== 'none' && n.state !== 'left' && !s.ignoredNodes.includes(n.id))
      .map((n) => n.id)
      .sort();
  }

  #streamTargets(s: TopologyState, r: TopologyRequest): string[] {
    if (r.kind !== 'remove') return [r.nodeId];
    return Object.values(s.nodes)
      .filter((n) => n.state === 'normal' && n.id !== r.nodeId && !s.ignoredNodes.includes(n.id))
      .map((n) => n.id)
      .sort();
  }

  async #barrierAll(run: Run, s: TopologyState, kind: 'barrier' | 'barrierAndDrain'): Promise<void> {
    const timeout = this.#o.rpcTimeoutMs ?? 2000;
    const results = await Promise.allSettled(
      this.#barrierTargets(s).map((id) => this.#call(run, id, kind, (a, c) => (kind === 'barrier' ? a.barrier(c) : a.barrierAndDrain(c)), timeout)),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!run.active) throw new TopologyStoppedError('coordinator stopped');
    if (failed.length > 0) throw failed[0]!.reason;
  }

  /**
   * ScyllaDB's global token metadata barrier: barrier_and_drain on every
   * member, then commit `fenceVersion = version`; when the drain failed, a
   * plain barrier must succeed afterwards. Returns the guard after the fence.
   */
  async #globalBarrier(run: Run, s: TopologyState, guard: StepGuard): Promise<StepGuard> {
    let drainError: unknown;
    try {
      await this.#barrierAll(run, s, 'barrierAndDrain');
    } catch (e) {
      if (!run.active) throw e;
      drainError = e;
    }
    let g = guard;
    if (s.fenceVersion < s.version && !this.#o.testingKnobs?.skipFence) g = await this.#step(run, guard, { kind: 'fence', requestId: s.transition!.requestId, version: s.version });
    if (drainError !== undefined) await this.#barrierAll(run, s, 'barrier');
    return g;
  }

  async #stream(run: Run, s: TopologyState, r: TopologyRequest, targets: string[]): Promise<void> {
    const timeout = this.#o.streamTimeoutMs ?? 60_000;
    const results = await Promise.allSettled(
      targets.map((id) =>
        this.#call(
          run,
          id,
          'stream_ranges',
          (a, c) => {
            const cmd: StreamRangesCommand = { ...c, requestId: r.id, kind: r.kind, nodeId: r.nodeId, session: s.session };
            return a.streamRanges(r.params.sourceDc === undefined ? cmd : { ...cmd, sourceDc: r.params.sourceDc });
          },
          timeout,
        ),
      ),
    );
    if (!run.active) throw new TopologyStoppedError('coordinator stopped');
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Calls one agent with a fresh command header. Fails on timeout, when the
   * coordinator stops, and as soon as the failure detector reports the node dead.
   */
  #call<T>(run: Run, nodeId: string, what: string, fn: (agent: TopologyNodeAgent, cmd: AgentCommand) => Promise<T>, timeoutMs: number): Promise<T> {
    const cmd: AgentCommand = { term: run.term, index: ++this.#index, coordinatorId: this.#o.nodeId };
    const fd = this.#o.failureDetector;
    if (!fd.isAlive(nodeId)) return Promise.reject(new TopologyRpcError(nodeId, `${what}: the node is down (failure detector)`));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onStop = (e: Error): void => {
        if (done) return;
        finish();
        reject(e);
      };
      const finish = (): void => {
        done = true;
        timer.cancel();
        unsubscribe();
        run.onStop.delete(onStop);
      };
      const timer = this.#clock.setTimeout(() => {
        if (done) return;
        finish();
        reject(new TopologyRpcError(nodeId, `${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = fd.onChange((id, alive) => {
        if (done || id !== nodeId || alive) return;
        finish();
        reject(new TopologyRpcError(nodeId, `${what}: the node went down (failure detector)`));
      });
      run.onStop.add(onStop);
      let p: Promise<T>;
      try {
        p = fn(this.#o.agents(nodeId), cmd);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => {
          if (done) return;
          finish();
          resolve(v);
        },
        (e: unknown) => {
          if (done) return;
          finish();
          reject(e instanceof TopologyError ? e : new TopologyRpcError(nodeId, `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
        },
      );
    });
  }
}

/** The pending request to start next: by kind priority, then admission order. */
export function nextRequest(s: TopologyState): TopologyRequest | undefined {
  let best: TopologyRequest | undefined;
  for (const r of openRequests(s)) {
    if (r.status !== 'pending') continue;
    if (!best) {
      best = r;
      continue;
    }
    const a = REQUEST_KINDS.indexOf(r.kind);
    const b = REQUEST_KINDS.indexOf(best.kind);
    if (a < b || (a === b && r.seq < best.seq)) best = r;
  }
  return best;
}
