import type { Run } from './coordinator-run.js';
import type { SagaStep, StepGuard } from './topology-command.js';
import { TopologyStoppedError } from './topology-errors.js';
import type { AgentCommand, StreamRangesCommand, TopologyNodeAgent } from './topology-node-agent.js';
import type { GlobalTopologyRequest, TopologyRequest, TopologyState } from './topology-types.js';

/** What the coordinator's calls to node agents need from it. Timeouts in milliseconds. */
export interface CoordinatorRpc {
  /** Calls one agent (see `callAgent`). */
  call<T>(run: Run, nodeId: string, what: string, fn: (agent: TopologyNodeAgent, cmd: AgentCommand) => Promise<T>, timeoutMs: number): Promise<T>;
  /** Proposes one guarded saga step; resolves with the guard after it. */
  step(run: Run, guard: StepGuard, step: SagaStep): Promise<StepGuard>;
  readonly rpcTimeoutMs: number;
  readonly streamTimeoutMs: number;
  readonly cleanupTimeoutMs: number;
  /** Mutation test only: the global barrier does not fence. */
  readonly skipFence: boolean;
}

/** Runs the global request in progress: `cleanup` on each node it marked, then `finish_global`. */
export async function runGlobalRequest(ctx: CoordinatorRpc, run: Run, guard: StepGuard, g: GlobalTopologyRequest): Promise<void> {
  const nodes = g.nodes ?? [];
  const timeout = ctx.cleanupTimeoutMs;
  const results = await Promise.allSettled(
    nodes.map((id) =>
      ctx.call(
        run,
        id,
        'cleanup',
        (a, c) => {
          if (!a.cleanup) return Promise.reject(new Error(`the node agent of ${id} does not implement cleanup`));
          return a.cleanup({ ...c, requestId: g.id });
        },
        timeout,
      ),
    ),
  );
  if (!run.active) throw new TopologyStoppedError('coordinator stopped');
  const cleaned = nodes.filter((_, i) => results[i]!.status === 'fulfilled');
  const errors = nodes.flatMap((id, i) => {
    const r = results[i]!;
    return r.status === 'rejected' ? [`${id}: ${(r.reason as Error)?.message ?? String(r.reason)}`] : [];
  });
  const step = { kind: 'finish_global' as const, requestId: g.id, cleaned };
  await ctx.step(run, guard, errors.length === 0 ? step : { ...step, error: `cleanup failed on ${errors.length} node(s): ${errors.join('; ')}` });
}

/** Nodes that take part in barriers: members of the ring, not left, not ignored. */
export function barrierTargets(s: TopologyState): string[] {
  return Object.values(s.nodes)
    .filter((n) => n.state !== 'none' && n.state !== 'left' && !s.ignoredNodes.includes(n.id))
    .map((n) => n.id)
    .sort();
}

export function streamTargets(s: TopologyState, r: TopologyRequest): string[] {
  if (r.kind !== 'remove') return [r.nodeId];
  return Object.values(s.nodes)
    .filter((n) => n.state === 'normal' && n.id !== r.nodeId && !s.ignoredNodes.includes(n.id))
    .map((n) => n.id)
    .sort();
}

export async function barrierAll(ctx: CoordinatorRpc, run: Run, s: TopologyState, kind: 'barrier' | 'barrierAndDrain'): Promise<void> {
  const timeout = ctx.rpcTimeoutMs;
  const results = await Promise.allSettled(
    barrierTargets(s).map((id) => ctx.call(run, id, kind, (a, c) => (kind === 'barrier' ? a.barrier(c) : a.barrierAndDrain(c)), timeout)),
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
export async function globalBarrier(ctx: CoordinatorRpc, run: Run, s: TopologyState, guard: StepGuard): Promise<StepGuard> {
  let drainError: unknown;
  try {
    await barrierAll(ctx, run, s, 'barrierAndDrain');
  } catch (e) {
    if (!run.active) throw e;
    drainError = e;
  }
  let g = guard;
  if (s.fenceVersion < s.version && !ctx.skipFence) g = await ctx.step(run, guard, { kind: 'fence', requestId: s.transition!.requestId, version: s.version });
  if (drainError !== undefined) await barrierAll(ctx, run, s, 'barrier');
  return g;
}

export async function streamRanges(ctx: CoordinatorRpc, run: Run, s: TopologyState, r: TopologyRequest, targets: string[]): Promise<void> {
  const timeout = ctx.streamTimeoutMs;
  const results = await Promise.allSettled(
    targets.map((id) =>
      ctx.call(
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
