import type { Clock } from '../server/clock.js';
import type { FailureDetector } from './failure-detector.js';
import { ReplicatedLogError, TopologyError, TopologyRpcError, TopologyStoppedError } from './topology-errors.js';
import type { AgentCommand, TopologyNodeAgent } from './topology-node-agent.js';

/** A step did not apply because the state moved on: decide again at once. */
export class Conflict extends Error {}
/** The coordinator's term was fenced: this coordinator is finished. */
export class Deposed extends Error {}

/** One coordinator run: from becoming leader in `term` until the role changes or it is fenced. */
export interface Run {
  readonly term: number;
  active: boolean;
  /** Take a read barrier before the next decision (at start and after any failure). */
  needBarrier: boolean;
  readonly stopped: Promise<never>;
  readonly onStop: Set<(e: Error) => void>;
  stop(): void;
}

/** A new active run of `term`; `stop()` rejects `stopped` and every pending agent call. */
export function newRun(term: number): Run {
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

/** What {@link callAgent} needs from the coordinator. */
export interface AgentCallContext {
  readonly clock: Clock;
  readonly failureDetector: FailureDetector;
  readonly agents: (nodeId: string) => TopologyNodeAgent;
  /** The node the coordinator runs on. */
  readonly coordinatorId: string;
  /** The next command index of this coordinator (increasing). */
  nextIndex(): number;
}

/**
 * Calls one agent with a fresh command header. Fails on timeout, when the
 * coordinator stops, and as soon as the failure detector reports the node dead.
 */
export function callAgent<T>(
  ctx: AgentCallContext,
  run: Run,
  nodeId: string,
  what: string,
  fn: (agent: TopologyNodeAgent, cmd: AgentCommand) => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const cmd: AgentCommand = { term: run.term, index: ctx.nextIndex(), coordinatorId: ctx.coordinatorId };
  const fd = ctx.failureDetector;
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
    const timer = ctx.clock.setTimeout(() => {
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
      p = fn(ctx.agents(nodeId), cmd);
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
        // A remote replica's log error (its read barrier found no leader) is a failed call, not a
        // failure of this coordinator's own log, which the coordinator treats differently.
        const remote = e instanceof TopologyError && !(e instanceof ReplicatedLogError);
        reject(remote ? e : new TopologyRpcError(nodeId, `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
      },
    );
  });
}
