import { Prng } from '../prng.js';
import type { Clock } from '../server/clock.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import type { FailureDetector } from './failure-detector.js';
import { FencingGuard } from './fencing-guard.js';
import type { ReplicatedLog } from './replicated-log.js';
import { TopologyClient, type TopologyOutcome } from './topology-client.js';
import { driveVirtualClock, runVirtualClock, sleepOn } from './topology-clock.js';
import type { NewNodeSpec, TopologyRequestSpec } from './topology-command.js';
import { TopologyCoordinator, type CoordinatorEvent } from './topology-coordinator.js';
import { TopologyTimeoutError } from './topology-errors.js';
import { LocalNodeAgent, type StreamRangesCommand, type TopologyNodeAgent } from './topology-node-agent.js';
import type { InitialNode, TopologyStateMachine } from './topology-state-machine.js';
import type { TopologyRequest, TopologyState } from './topology-types.js';
import { VirtualRaftGroup, type VirtualRaftGroupOptions } from './virtual-raft-group.js';

/** Options of {@link SimulatedTopologyCluster}. Times in milliseconds (virtual unless `clock` is real). */
export interface SimulatedTopologyClusterOptions {
  /** The founding members: normal nodes and Raft voters. */
  readonly nodes: readonly InitialNode[];
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** @default a new VirtualClock (drive it with {@link SimulatedTopologyCluster.runFor}) */
  readonly clock?: Clock;
  /** Modelled duration of a streaming operation. @default 20 */
  readonly streamDelayMs?: number;
  /** Makes a node's streaming fail (called per stream command). @default never */
  readonly streamFails?: (cmd: StreamRangesCommand, nodeId: string) => boolean;
  /** @default 50 */
  readonly electionTimeoutMs?: number;
  /** @default 5 */
  readonly heartbeatMs?: number;
  /** @default 4 */
  readonly maxDelayMs?: number;
  /** See {@link VirtualRaftGroupOptions.staleCommitProbability}. @default 0 */
  readonly staleCommitProbability?: number;
  /** Coordinator barrier/shutdown call timeout. @default 200 */
  readonly rpcTimeoutMs?: number;
  /** Coordinator streaming call timeout. @default 2000 */
  readonly streamTimeoutMs?: number;
  /** Coordinator retry delay after unexpected errors. @default 20 */
  readonly retryDelayMs?: number;
  /** Receives every coordinator event, with the node it ran on. @default none */
  readonly onCoordinatorEvent?: (nodeId: string, event: CoordinatorEvent) => void;
}

/** One simulated node's topology parts. */
export interface SimulatedTopologyNode {
  readonly id: string;
  readonly stateMachine: TopologyStateMachine;
  readonly log: ReplicatedLog;
  readonly fencing: FencingGuard;
  readonly agent: LocalNodeAgent;
  readonly failureDetector: FailureDetector;
  readonly client: TopologyClient;
  /** Present on voters (which can lead). */
  readonly coordinator: TopologyCoordinator | undefined;
  /** Set once the node received a shutdown command. */
  shutDown: boolean;
}

/**
 * A topology group among N simulated nodes, in one process: a
 * {@link VirtualRaftGroup} (one replica per node), a coordinator beside every
 * voter, a node agent and a fencing guard on every node, and a virtual
 * network between them. This is what the simulated ScyllaDB cluster uses for
 * its topology: submit join, decommission, removenode, replace and rebuild,
 * inject failures, and read each node's state, tokens and host id.
 */
export class SimulatedTopologyCluster {
  /** The clock everything runs on. */
  readonly clock: Clock;
  /** The Raft group model. */
  readonly group: VirtualRaftGroup;
  readonly #o: SimulatedTopologyClusterOptions;
  readonly #nodes = new Map<string, SimulatedTopologyNode>();
  readonly #prng: Prng;

  constructor(options: SimulatedTopologyClusterOptions) {
    if (options.nodes.length === 0) throw new RangeError('SimulatedTopologyCluster: at least one founding node is required');
    this.#o = options;
    this.clock = options.clock ?? new VirtualClock();
    this.#prng = new Prng(options.seed ?? 1);
    this.group = new VirtualRaftGroup({
      voters: options.nodes.map((n) => n.id),
      initialNodes: options.nodes,
      clock: this.clock,
      prng: this.#prng.fork(),
      ...(options.electionTimeoutMs !== undefined ? { electionTimeoutMs: options.electionTimeoutMs } : {}),
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
      ...(options.staleCommitProbability !== undefined ? { staleCommitProbability: options.staleCommitProbability } : {}),
    });
    for (const n of options.nodes) this.#wire(n.id, true);
  }

  #wire(id: string, voter: boolean): SimulatedTopologyNode {
    const log = this.group.log(id);
    const stateMachine = this.group.stateMachine(id);
    const fencing = new FencingGuard({ where: id, refresh: () => log.readBarrier() });
    const failureDetector = this.group.failureDetector(id);
    const node: SimulatedTopologyNode = {
      id,
      stateMachine,
      log,
      fencing,
      failureDetector,
      shutDown: false,
      agent: new LocalNodeAgent({
        nodeId: id,
        log,
        stateMachine,
        fencing,
        streamRanges: async (cmd) => {
          await sleepOn(this.clock, this.#o.streamDelayMs ?? 20);
          if (this.#o.streamFails?.(cmd, id)) throw new Error(`streaming for ${cmd.requestId} failed on ${id}`);
        },
        onShutdown: () => {
          node.shutDown = true;
        },
      }),
      client: new TopologyClient({
        log,
        stateMachine,
        failureDetector,
        clock: this.clock,
        newRequestId: (() => {
          let n = 0;
          return () => `${id}-r${++n}`;
        })(),
      }),
      coordinator: undefined,
    };
    if (voter) {
      const onEvent = this.#o.onCoordinatorEvent;
      (node as { coordinator: TopologyCoordinator | undefined }).coordinator = new TopologyCoordinator({
        nodeId: id,
        log,
        stateMachine,
        failureDetector,
        clock: this.clock,
        agents: (target) => this.#remoteAgent(id, target),
        rpcTimeoutMs: this.#o.rpcTimeoutMs ?? 200,
        streamTimeoutMs: this.#o.streamTimeoutMs ?? 2000,
        retryDelayMs: this.#o.retryDelayMs ?? 20,
        barrierRetryDelayMs: 20,
        ...(onEvent ? { onEvent: (e: CoordinatorEvent) => onEvent(id, e) } : {}),
      });
      node.coordinator!.start();
    }
    this.#nodes.set(id, node);
    return node;
  }

  #remoteAgent(from: string, to: string): TopologyNodeAgent {
    const target = (): LocalNodeAgent => {
      const n = this.#nodes.get(to);
      if (!n) throw new Error(`no node ${to}`);
      return n.agent;
    };
    return {
      barrier: (cmd) => this.group.call(from, to, () => target().barrier(cmd)),
      barrierAndDrain: (cmd) => this.group.call(from, to, () => target().barrierAndDrain(cmd)),
      streamRanges: (cmd) => this.group.call(from, to, () => target().streamRanges(cmd)),
      shutdown: (cmd) => this.group.call(from, to, () => target().shutdown(cmd)),
    };
  }

  /** Every node's parts, founding and added. */
  get nodes(): SimulatedTopologyNode[] {
    return [...this.#nodes.values()];
  }

  /** One node's parts; throws for an unknown id. */
  node(id: string): SimulatedTopologyNode {
    const n = this.#nodes.get(id);
    if (!n) throw new RangeError(`SimulatedTopologyCluster: no node ${id}`);
    return n;
  }

  /** Ids of every node (founding and added). */
  get ids(): string[] {
    return this.group.ids;
  }

  /** Whether a node's process is running. */
  isAlive(id: string): boolean {
    return this.group.isAlive(id);
  }

  /** How many log entries a node's replica applied. */
  appliedIndex(id: string): number {
    return this.group.appliedIndex(id);
  }

  /** The current leader's id (where the coordinator runs), if any. */
  get leaderId(): string | undefined {
    return this.group.leaderId;
  }

  /**
   * The topology as applied on `nodeId`'s replica (default: the leader's, or
   * the most advanced replica's when there is no leader). Not a linearizable
   * read; use {@link read} for that.
   */
  state(nodeId?: string): TopologyState {
    const id = nodeId ?? this.leaderId ?? this.group.ids.reduce((a, b) => (this.group.appliedIndex(b) > this.group.appliedIndex(a) ? b : a));
    return this.group.stateMachine(id).state;
  }

  /** Reads the topology linearizably through `via` (default: the leader). */
  read(via?: string): Promise<TopologyState> {
    return this.#clientNode(via).client.read();
  }

  #clientNode(via?: string): SimulatedTopologyNode {
    const id = via ?? this.leaderId ?? this.group.ids.find((x) => this.group.isAlive(x));
    if (id === undefined) throw new RangeError('SimulatedTopologyCluster: no live node to talk through');
    return this.node(id);
  }

  /** Creates the replica and agent of a node that is about to join or replace (idempotent). */
  addNode(id: string): SimulatedTopologyNode {
    const existing = this.#nodes.get(id);
    if (existing) return existing;
    this.group.addLearner(id);
    return this.#wire(id, false);
  }

  /** Submits a request through `via` (default: the leader); resolves once admitted or rejected. */
  submit(spec: TopologyRequestSpec, via?: string): Promise<TopologyRequest> {
    if (spec.kind === 'join' || spec.kind === 'replace') this.addNode(spec.node.id);
    return this.#clientNode(via).client.submit(spec);
  }

  /** Submits a request and resolves with its final outcome (drive a virtual clock meanwhile). */
  async request(spec: TopologyRequestSpec, via?: string): Promise<TopologyOutcome> {
    const r = await this.submit(spec, via);
    if (r.status === 'rejected') return { requestId: r.id, status: 'rejected', ...(r.code ? { code: r.code } : {}), ...(r.reason ? { reason: r.reason } : {}) };
    return this.#clientNode(via).client.waitForOutcome(r.id);
  }

  /** Bootstraps a new node. */
  join(node: NewNodeSpec, tokens?: readonly number[]): Promise<TopologyOutcome> {
    return this.request(tokens ? { kind: 'join', node, tokens } : { kind: 'join', node });
  }

  /** Decommissions a node. */
  decommission(nodeId: string): Promise<TopologyOutcome> {
    return this.request({ kind: 'leave', nodeId });
  }

  /** Removes a dead node. */
  removenode(nodeId: string): Promise<TopologyOutcome> {
    return this.request({ kind: 'remove', nodeId });
  }

  /** Replaces a dead node by a new one (same dc and rack). */
  replace(node: NewNodeSpec, replacedId: string): Promise<TopologyOutcome> {
    return this.request({ kind: 'replace', node, replacedId });
  }

  /** Rebuilds a node's data from `sourceDc`. */
  rebuild(nodeId: string, sourceDc?: string): Promise<TopologyOutcome> {
    return this.request(sourceDc === undefined ? { kind: 'rebuild', nodeId } : { kind: 'rebuild', nodeId, sourceDc });
  }

  /** Kills a node's process (its replica, coordinator and agent go silent). */
  kill(id: string): void {
    this.group.kill(id);
  }

  /** Restarts a killed node. */
  restart(id: string): void {
    this.group.restart(id);
  }

  /** Cuts a node off from all others. */
  isolate(id: string): void {
    this.group.isolate(id);
  }

  /** Heals every partition. */
  heal(): void {
    this.group.heal();
  }

  /** Advances a virtual clock by `ms` (throws with a real clock). */
  async runFor(ms: number): Promise<void> {
    await runVirtualClock(this.#virtual(), this.clock.now() + ms);
  }

  /** Advances a virtual clock until `done()` or `maxMs` passed; returns whether `done()` became true. */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    return runVirtualClock(this.#virtual(), this.clock.now() + maxMs, done);
  }

  /** Advances a virtual clock until `promise` settles; throws {@link TopologyTimeoutError} after `maxMs`. */
  drive<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    return driveVirtualClock(this.#virtual(), promise, maxMs);
  }

  #virtual(): VirtualClock {
    if (!(this.clock instanceof VirtualClock)) throw new TypeError('SimulatedTopologyCluster: runFor/runUntil/drive need a VirtualClock');
    return this.clock;
  }

  /** Stops every coordinator and agent, and the group's timers. */
  async stop(): Promise<void> {
    for (const n of this.#nodes.values()) n.agent.stop();
    this.group.stop();
    await Promise.all([...this.#nodes.values()].map((n) => n.coordinator?.stop()));
  }
}
