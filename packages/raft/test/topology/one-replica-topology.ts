/**
 * A topology group of one replica (InMemoryReplicatedLog) on a virtual clock, with an agent
 * per node whose streaming, cleanup and barriers the test controls. For directed tests of
 * the coordinator.
 */
import { RaftVirtualClock, runVirtualClock } from '../../src/rafttest/index.js';
import {
  FencingGuard,
  InMemoryReplicatedLog,
  LocalNodeAgent,
  ManualFailureDetector,
  TopologyClient,
  TopologyCoordinator,
  TopologyStateMachine,
  type CleanupCommand,
  type CoordinatorEvent,
  type StreamRangesCommand,
  type TopologyCoordinatorOptions,
  type TopologyNodeAgent,
} from '../../src/index.js';

export const founders = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `10.0.0.${i + 1}`, dc: 'dc1', rack: `r${i + 1}` }));
export const newNode = (id: string) => ({ id, address: `10.0.1.${id}`, dc: 'dc1', rack: 'r1' });

export interface OneReplicaOptions {
  /** Streaming of one node; default: 10 ms on the virtual clock. */
  readonly stream?: (cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal) => Promise<void>;
  /** Cleanup of one node; default: 5 ms. */
  readonly cleanup?: (cmd: CleanupCommand, nodeId: string) => Promise<void>;
  /** Makes a barrier (or barrier_and_drain) call to `nodeId` fail with this message. */
  readonly failBarrier?: (nodeId: string, kind: 'barrier' | 'barrier_and_drain') => string | undefined;
  readonly coordinator?: Partial<TopologyCoordinatorOptions>;
  readonly initiator?: string;
  /** The client's `timestamps` clock. */
  readonly timestamps?: { now(): number };
}

export function oneReplica(options: OneReplicaOptions = {}) {
  const clock = new RaftVirtualClock();
  const sm = new TopologyStateMachine({ initialNodes: founders });
  const log = new InMemoryReplicatedLog(sm, 1);
  const fd = new ManualFailureDetector();
  const events: CoordinatorEvent[] = [];
  const local = new Map<string, LocalNodeAgent>();
  const agentFor = (id: string): TopologyNodeAgent => {
    let a = local.get(id);
    if (!a) {
      a = new LocalNodeAgent({
        nodeId: id,
        log,
        stateMachine: sm,
        fencing: new FencingGuard(),
        streamRanges: (cmd, signal) => (options.stream ? options.stream(cmd, id, signal) : new Promise((r) => void clock.setTimeout(r, 10))),
        cleanup: (cmd) => (options.cleanup ? options.cleanup(cmd, id) : new Promise((r) => void clock.setTimeout(r, 5))),
      });
      local.set(id, a);
    }
    const agent = a;
    const check = (kind: 'barrier' | 'barrier_and_drain'): void => {
      const error = options.failBarrier?.(id, kind);
      if (error !== undefined) throw new Error(error);
    };
    return {
      barrier: async (c) => (check('barrier'), agent.barrier(c)),
      barrierAndDrain: async (c) => (check('barrier_and_drain'), agent.barrierAndDrain(c)),
      streamRanges: (c) => agent.streamRanges(c),
      shutdown: (c) => agent.shutdown(c),
      cleanup: (c) => agent.cleanup(c),
    };
  };
  const coordinator = new TopologyCoordinator({
    nodeId: 'n1',
    log,
    stateMachine: sm,
    agents: agentFor,
    failureDetector: fd,
    clock,
    retryDelayMs: 10,
    onEvent: (e) => void events.push(e),
    ...options.coordinator,
  });
  let n = 0;
  const client = new TopologyClient({
    log,
    stateMachine: sm,
    failureDetector: fd,
    clock,
    newRequestId: () => `r${++n}`,
    ...(options.initiator !== undefined ? { initiator: options.initiator } : {}),
    ...(options.timestamps !== undefined ? { timestamps: options.timestamps } : {}),
  });
  /** Runs the virtual clock until `p` settles (or `maxMs` passed) and returns its result. */
  const drive = async <T>(p: Promise<T>, maxMs = 60_000): Promise<T> => {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    await runVirtualClock(clock, clock.now() + maxMs, () => settled);
    if (!settled) throw new Error(`not settled within ${maxMs} virtual ms`);
    return p;
  };
  const runUntil = (done: () => boolean, maxMs = 60_000): Promise<boolean> => runVirtualClock(clock, clock.now() + maxMs, done);
  return { clock, sm, log, fd, coordinator, client, events, drive, runUntil, agent: (id: string) => local.get(id) };
}
