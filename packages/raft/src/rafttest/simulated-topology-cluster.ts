import { RaftPrng } from '../raft-prng.js';
import type { Clock } from '../server/clock.js';
import { RaftVirtualClock } from './sim/raft-virtual-clock.js';
import {
  FencingGuard,
  outcomeOf,
  TopologyClient,
  sleepOn,
  TopologyCoordinator,
  TopologyStoppedError,
  TopologyTimeoutError,
  LocalNodeAgent,
  isFinalStatus,
  type FailureDetector,
  type ReplicatedLog,
  type TopologyOutcome,
  type NewNodeSpec,
  type TopologyRequestSpec,
  type CoordinatorEvent,
  type TopologyMembership,
  type StreamRangesCommand,
  type TopologyNodeAgent,
  type InitialNode,
  type TopologyStateMachine,
  type TopologyRequest,
  type TopologyState,
} from '../topology/index.js';
import { driveVirtualClock, runVirtualClock, type ExternalWork } from './drive-virtual-clock.js';
import { VirtualRaftGroup, type VirtualRaftGroupOptions } from './virtual-raft-group.js';

/** Options of {@link SimulatedTopologyCluster}. Times in milliseconds (virtual unless `clock` is real). */
export interface SimulatedTopologyClusterOptions {
  /** The founding members: normal nodes and Raft voters. */
  readonly nodes: readonly InitialNode[];
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** @default a new RaftVirtualClock (drive it with {@link SimulatedTopologyCluster.runFor}) */
  readonly clock?: Clock;
  /** Founding members that vote in the Raft group (the others are non-voting replicas, and have no coordinator). @default every founding node */
  readonly voters?: readonly string[];
  /**
   * How many voters the group keeps: a node that leaves the ring (decommission, removenode, or
   * the node a replace replaced) is removed from the voters, and normal non-voting nodes (the
   * node just joining first, then nodes in a rack without a voter) are promoted until the group
   * has this many again. @default the number of founding voters
   */
  readonly voterCount?: number;
  /** Modelled duration of a streaming operation on the group's clock (unused with {@link stream}). @default 20 */
  readonly streamDelayMs?: number;
  /**
   * Does one node's streaming outside the group's clock (for instance on a simulator's own
   * clock), instead of sleeping {@link streamDelayMs}. A rejection fails that node's stream
   * (the coordinator then rolls the operation back where it can). While any call is pending,
   * {@link SimulatedTopologyCluster.runFor}, `runUntil` and `drive` advance the group's virtual
   * clock at most {@link externalGraceMs} past the start of the oldest pending call, then wait
   * for the calls to settle, so coordinator timeouts on the group's clock do not run while the
   * streaming does. `signal` aborts when `nodeId` dies in the group or the cluster stops.
   * @default a sleep of {@link streamDelayMs} on the group's clock
   */
  readonly stream?: (cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal) => Promise<void>;
  /**
   * With {@link stream}: how far the group's clock may run past the start of the oldest pending
   * stream call, so that concurrent stream calls (removenode streams on every normal node) are
   * all delivered before the clock waits. Keep it well under `streamTimeoutMs` and
   * `electionTimeoutMs`. @default 10
   */
  readonly externalGraceMs?: number;
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
  /** Present on nodes that are or were voters (only a voter can lead). */
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
  readonly #prng: RaftPrng;
  readonly #external = new Map<number, { readonly startedAt: number; readonly nodeId: string; readonly abort: AbortController; readonly settled: Promise<void> }>();
  #externalSeq = 0;
  #streamWait: Promise<void> | undefined;
  #stopped = false;
  #voterCount = 0;
  /** Ends the waits of {@link request} calls whose request has not finished (run by {@link stop}). */
  readonly #outcomeWaits = new Set<() => void>();
  #memberChain: Promise<void> = Promise.resolve();
  /** What {@link runFor}, {@link runUntil} and {@link drive} wait for (the pending {@link SimulatedTopologyClusterOptions.stream} calls). */
  readonly #externalWork: ExternalWork = {
    horizon: () => {
      let oldest: number | undefined;
      for (const w of this.#external.values()) if (oldest === undefined || w.startedAt < oldest) oldest = w.startedAt;
      return oldest === undefined ? undefined : oldest + (this.#o.externalGraceMs ?? 10);
    },
    settled: () => {
      const wait: Promise<void> = Promise.race([...this.#external.values()].map((w) => w.settled)).finally(() => {
        if (this.#streamWait === wait) this.#streamWait = undefined;
      });
      this.#streamWait = wait;
      return wait;
    },
  };

  constructor(options: SimulatedTopologyClusterOptions) {
    if (options.nodes.length === 0) throw new RangeError('SimulatedTopologyCluster: at least one founding node is required');
    const ids = new Set(options.nodes.map((n) => n.id));
    const voters = options.voters ?? [...ids];
    if (voters.length === 0) throw new RangeError('SimulatedTopologyCluster: at least one voter is required');
    for (const v of voters) if (!ids.has(v)) throw new RangeError(`SimulatedTopologyCluster: voter ${v} is not a founding node`);
    this.#o = options;
    this.#voterCount = options.voterCount ?? voters.length;
    if (!Number.isInteger(this.#voterCount) || this.#voterCount < 1) throw new RangeError(`SimulatedTopologyCluster: voterCount must be a positive integer, got ${options.voterCount}`);
    this.clock = options.clock ?? new RaftVirtualClock();
    this.#prng = new RaftPrng(options.seed ?? 1);
    const voting = new Set(voters);
    this.group = new VirtualRaftGroup({
      voters,
      learners: options.nodes.map((n) => n.id).filter((id) => !voting.has(id)),
      initialNodes: options.nodes,
      clock: this.clock,
      prng: this.#prng.fork(),
      ...(options.electionTimeoutMs !== undefined ? { electionTimeoutMs: options.electionTimeoutMs } : {}),
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
      ...(options.staleCommitProbability !== undefined ? { staleCommitProbability: options.staleCommitProbability } : {}),
    });
    for (const n of options.nodes) this.#wire(n.id, voting.has(n.id));
    this.group.onNetworkChange(() => {
      for (const w of this.#external.values()) if (!this.group.isAlive(w.nodeId)) w.abort.abort(new Error(`node ${w.nodeId} died during streaming`));
    });
  }

  /** Number of {@link SimulatedTopologyClusterOptions.stream} calls not settled yet. */
  get pendingStreams(): number {
    return this.#external.size;
  }

  /**
   * While a driver ({@link runFor}, {@link runUntil}, {@link drive}) stopped advancing the
   * group's clock to wait for pending stream calls: a promise that resolves once one of them
   * settled (the driver then resumes). `undefined` while the group's clock is running.
   */
  get streamWait(): Promise<void> | undefined {
    return this.#streamWait;
  }

  #streamOutside(stream: NonNullable<SimulatedTopologyClusterOptions['stream']>, cmd: StreamRangesCommand, id: string): Promise<void> {
    const abort = new AbortController();
    if (this.#stopped) abort.abort(new Error('the topology cluster stopped'));
    let p: Promise<void>;
    try {
      p = stream(cmd, id, abort.signal);
    } catch (e) {
      p = Promise.reject(e);
    }
    const key = ++this.#externalSeq;
    const settled = p.then(
      () => void this.#external.delete(key),
      () => void this.#external.delete(key),
    );
    this.#external.set(key, { startedAt: this.clock.now(), nodeId: id, abort, settled });
    return p;
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
          if (this.#o.stream) await this.#streamOutside(this.#o.stream, cmd, id);
          else await sleepOn(this.clock, this.#o.streamDelayMs ?? 20);
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
    this.#nodes.set(id, node);
    if (voter) this.#ensureCoordinator(node);
    return node;
  }

  #ensureCoordinator(node: SimulatedTopologyNode): void {
    if (node.coordinator || this.#stopped) return;
    const onEvent = this.#o.onCoordinatorEvent;
    const id = node.id;
    const coordinator = new TopologyCoordinator({
      nodeId: id,
      log: node.log,
      stateMachine: node.stateMachine,
      failureDetector: node.failureDetector,
      clock: this.clock,
      agents: (target) => this.#remoteAgent(id, target),
      membership: this.#membership(id),
      rpcTimeoutMs: this.#o.rpcTimeoutMs ?? 200,
      streamTimeoutMs: this.#o.streamTimeoutMs ?? 2000,
      retryDelayMs: this.#o.retryDelayMs ?? 20,
      barrierRetryDelayMs: 20,
      ...(onEvent ? { onEvent: (e: CoordinatorEvent) => onEvent(id, e) } : {}),
    });
    (node as { coordinator: TopologyCoordinator | undefined }).coordinator = coordinator;
    coordinator.start();
  }

  /** Runs membership changes one at a time (the group refuses a second concurrent change). */
  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#memberChain.then(fn);
    this.#memberChain = run.catch(() => {});
    return run;
  }

  /**
   * Promotes live non-voters reachable from `self` (the leader) until the group has
   * {@link SimulatedTopologyClusterOptions.voterCount} voters: `prefer` first (a node finishing
   * its join), then normal nodes of racks without a voter, then other normal nodes (by id).
   */
  async #topUpVoters(self: string, prefer?: string, target = this.#voterCount): Promise<void> {
    for (;;) {
      const voters = this.group.voters;
      if (voters.length >= target) return;
      const s = this.group.stateMachine(self).state;
      const rackOf = (id: string): string | undefined => {
        const n = s.nodes[id];
        return n ? `${n.dc}/${n.rack}` : undefined;
      };
      const voterRacks = new Set(voters.filter((v) => this.group.isAlive(v)).map(rackOf));
      const eligible = this.group.ids.filter((id) => {
        if (this.group.isVoter(id) || !this.group.connected(self, id) || this.#nodes.get(id)?.shutDown) return false;
        const st = s.nodes[id]?.state;
        return st === 'normal' || (id === prefer && (st === 'bootstrapping' || st === 'replacing'));
      });
      if (eligible.length === 0) return;
      eligible.sort((a, b) => (a === prefer ? -1 : b === prefer ? 1 : 0) || Number(voterRacks.has(rackOf(a))) - Number(voterRacks.has(rackOf(b))) || (a < b ? -1 : a > b ? 1 : 0));
      const next = eligible[0]!;
      this.#ensureCoordinator(this.node(next));
      await this.group.addVoter(self, next);
    }
  }

  /** Group membership as the coordinator on `self` changes it (see {@link SimulatedTopologyClusterOptions.voterCount}). */
  #membership(self: string): TopologyMembership {
    return {
      // every node has a (non-voting) replica from the moment it is added
      addNonVoter: async (node) => void this.addNode(node.id),
      promoteToVoter: (id) => this.#serial(() => this.#topUpVoters(self, id)),
      remove: (id) =>
        this.#serial(async () => {
          if (this.group.isVoter(id)) {
            // the last voter (say, a one-voter group replacing its voter) hands over first
            if (this.group.voters.length <= 1) await this.#topUpVoters(self, this.group.stateMachine(self).state.transition?.nodeId, 2);
            await this.group.removeVoter(self, id);
          }
          await this.#topUpVoters(self);
        }),
      stepDown: (candidates) =>
        this.#serial(async () => {
          const others = this.group.voters.filter((v) => v !== self && this.group.connected(self, v));
          if (others.length === 0) {
            const next = candidates.find((c) => !this.group.isVoter(c) && this.group.connected(self, c));
            if (next === undefined) throw new Error(`${self} is leaving and no other live normal node can take over the topology group`);
            this.#ensureCoordinator(this.node(next));
            await this.group.addVoter(self, next);
          }
          await this.group.transferLeadership(self);
        }),
    };
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
      cleanup: (cmd) => this.group.call(from, to, () => target().cleanup(cmd)),
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

  /**
   * Submits a request and resolves with its final outcome (drive a virtual clock meanwhile). The
   * outcome is awaited on `via`'s replica when given, else on whichever replica applies it first
   * (so the wait survives the death of the node it was submitted through).
   */
  async request(spec: TopologyRequestSpec, via?: string): Promise<TopologyOutcome> {
    const r = await this.submit(spec, via);
    if (r.status === 'rejected') return { requestId: r.id, status: 'rejected', ...(r.code ? { code: r.code } : {}), ...(r.reason ? { reason: r.reason } : {}) };
    if (via !== undefined) return this.node(via).client.waitForOutcome(r.id);
    return this.#anyOutcome(r.id);
  }

  #anyOutcome(requestId: string): Promise<TopologyOutcome> {
    return new Promise((resolve, reject) => {
      const offs: (() => void)[] = [];
      let done = false;
      const finish = (): void => {
        done = true;
        for (const off of offs) off();
        this.#outcomeWaits.delete(abandon);
      };
      const abandon = (): void => {
        if (done) return;
        finish();
        reject(new TopologyStoppedError(`the topology cluster stopped before request ${requestId} finished`));
      };
      const check = (state: TopologyState): void => {
        const q = state.requests[requestId];
        if (done || !q || !isFinalStatus(q.status)) return;
        finish();
        resolve(outcomeOf(q));
      };
      if (this.#stopped) return abandon();
      this.#outcomeWaits.add(abandon);
      for (const n of this.#nodes.values()) {
        offs.push(n.stateMachine.onApply((_c, _r, state) => check(state)));
        check(n.stateMachine.state);
        if (done) return;
      }
    });
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
    await runVirtualClock(this.#virtual(), this.clock.now() + ms, undefined, this.#externalWork);
  }

  /** Advances a virtual clock until `done()` or `maxMs` passed; returns whether `done()` became true. */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    return runVirtualClock(this.#virtual(), this.clock.now() + maxMs, done, this.#externalWork);
  }

  /**
   * Advances a virtual clock until `promise` settles; throws {@link TopologyTimeoutError} after `maxMs`.
   * These three drivers wait for pending {@link SimulatedTopologyClusterOptions.stream} calls (see there).
   */
  drive<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    return driveVirtualClock(this.#virtual(), promise, maxMs, this.#externalWork);
  }

  #virtual(): RaftVirtualClock {
    if (!(this.clock instanceof RaftVirtualClock)) throw new TypeError('SimulatedTopologyCluster: runFor/runUntil/drive need a RaftVirtualClock');
    return this.clock;
  }

  /** Stops every coordinator and agent, and the group's timers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const abandon of [...this.#outcomeWaits]) abandon();
    for (const w of this.#external.values()) w.abort.abort(new Error('the topology cluster stopped'));
    for (const n of this.#nodes.values()) n.agent.stop();
    this.group.stop();
    await Promise.all([...this.#nodes.values()].map((n) => n.coordinator?.stop()));
  }
}
