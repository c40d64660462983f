import { RaftPrng } from '../raft-prng.js';
import type { Clock } from '../server/clock.js';
import { RaftServer } from '../server/raft-server.js';
import { RaftVirtualClock } from './sim/raft-virtual-clock.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import {
  FencingGuard,
  RaftServerLog,
  TopologyRaftStateMachine,
  TopologyClient,
  sleepOn,
  TopologyCoordinator,
  LocalNodeAgent,
  TopologyStateMachine,
  type FailureDetector,
  type TopologyOutcome,
  type TopologyCommandResult,
  type TopologyRequestSpec,
  type CoordinatorEvent,
  type TopologyMembership,
  type AgentCommand,
  type TopologyNodeAgent,
  type TopologyTestingKnobs,
  type InitialNode,
  type TopologyNode,
  type TopologyRequest,
  type TopologyState,
} from '../topology/index.js';
import { driveVirtualClock, runVirtualClock } from './drive-virtual-clock.js';

/** Options of {@link RaftTopologyCluster}. Times in milliseconds. */
export interface RaftTopologyClusterOptions {
  /** Founding members (normal nodes and Raft voters). */
  readonly nodes: readonly InitialNode[];
  /** The transport endpoint of a member (called again after a restart). */
  readonly transport: (id: string) => Transport;
  /** @default a new RaftVirtualClock */
  readonly clock?: Clock;
  /** Seed of the Raft election PRNGs and call delays. @default 1 */
  readonly seed?: number;
  /** Whether `from` can reach `to` (besides both running). @default always */
  readonly reachable?: (from: string, to: string) => boolean;
  /** RaftServer tick length. @default 10 */
  readonly tickMs?: number;
  /** RaftServer election timeout in ticks. @default 10 */
  readonly electionTicks?: number;
  /** Delay of an in-process call to a node agent, each way. @default 1 */
  readonly callDelayMs?: number;
  /** Draws the delay of each leg of an agent call (a slow or congested path); overrides `callDelayMs`. @default none */
  readonly callDelay?: () => number;
  /** Modelled duration of streaming. @default 20 */
  readonly streamDelayMs?: number;
  /** @default 200 */
  readonly rpcTimeoutMs?: number;
  /** @default 5000 */
  readonly streamTimeoutMs?: number;
  /** @default 20 */
  readonly retryDelayMs?: number;
  /** Receives every coordinator event. @default none */
  readonly onCoordinatorEvent?: (nodeId: string, event: CoordinatorEvent) => void;
  /** Receives every node-agent command that passed its term checks and takes effect. @default none */
  readonly onAgentExecute?: (nodeId: string, what: string, cmd: AgentCommand) => void;
  /** The storage of a member, created once and kept across restarts. @default a new MemoryStorage */
  readonly storage?: (id: string) => Storage;
  /** Called after a member was killed (e.g. to drop a simulated disk's unsynced writes). @default none */
  readonly onKill?: (id: string) => void;
  /** Deliberate defects for mutation tests, given to every member. @default none */
  readonly testingKnobs?: TopologyTestingKnobs;
}

/** One member's running parts (replaced on restart; storage survives). */
export interface RaftTopologyMember {
  readonly id: string;
  readonly server: RaftServer<TopologyCommandResult>;
  readonly stateMachine: TopologyStateMachine;
  readonly log: RaftServerLog;
  readonly fencing: FencingGuard;
  readonly agent: LocalNodeAgent;
  readonly coordinator: TopologyCoordinator;
  readonly client: TopologyClient;
}

/**
 * A topology group over real {@link RaftServer}s, in one process: each member
 * runs a RaftServer (with {@link MemoryStorage} that survives crashes), a
 * {@link TopologyStateMachine}, a coordinator, a node agent and a fencing
 * guard. Raft traffic goes through the given transports (a `SimNetwork` on a
 * virtual clock, or TCP); agent calls are in-process with a delay. Joining
 * nodes become Raft learners when accepted and voters once normal.
 */
export class RaftTopologyCluster {
  readonly clock: Clock;
  readonly #o: RaftTopologyClusterOptions;
  readonly #storages = new Map<string, Storage>();
  readonly #members = new Map<string, RaftTopologyMember | null>();
  readonly #founders: string[];
  readonly #fdListeners = new Map<string, Set<(id: string, alive: boolean) => void>>();
  readonly #fdView = new Map<string, Map<string, boolean>>();
  readonly #prng: RaftPrng;

  constructor(options: RaftTopologyClusterOptions) {
    this.#o = options;
    this.clock = options.clock ?? new RaftVirtualClock();
    this.#prng = new RaftPrng(options.seed ?? 1);
    this.#founders = options.nodes.map((n) => n.id);
    for (const id of this.#founders) this.#start(id, true);
  }

  /** Ids of every member ever started. */
  get ids(): string[] {
    return [...this.#members.keys()];
  }

  /** Running members. */
  get nodes(): RaftTopologyMember[] {
    return [...this.#members.values()].filter((m): m is RaftTopologyMember => m !== null);
  }

  /** A running member; throws when unknown or crashed. */
  node(id: string): RaftTopologyMember {
    const m = this.#members.get(id);
    if (!m) throw new RangeError(`RaftTopologyCluster: ${id} is not running`);
    return m;
  }

  /** Whether a member is running. */
  isAlive(id: string): boolean {
    return this.#members.get(id) != null;
  }

  /** The member's applied Raft index (0 when crashed). */
  appliedIndex(id: string): number {
    const m = this.#members.get(id);
    return m ? m.server.status().appliedIndex : 0;
  }

  /** The running leader with the highest term. */
  get leaderId(): string | undefined {
    let best: RaftTopologyMember | undefined;
    for (const m of this.nodes) {
      if (m.server.isLeader() && (!best || m.log.term() > best.log.term())) best = m;
    }
    return best?.id;
  }

  /** The topology on `id`'s replica (default: the leader's, else any running member's). */
  state(id?: string): TopologyState {
    const via = id ?? this.leaderId ?? this.nodes[0]?.id;
    if (via === undefined) throw new RangeError('RaftTopologyCluster: no running member');
    return this.node(via).stateMachine.state;
  }

  #reachable(from: string, to: string): boolean {
    if (!this.isAlive(from) || !this.isAlive(to)) return false;
    return from === to || (this.#o.reachable?.(from, to) ?? true);
  }

  #failureDetector(observer: string): FailureDetector {
    let listeners = this.#fdListeners.get(observer);
    if (!listeners) this.#fdListeners.set(observer, (listeners = new Set()));
    const set = listeners;
    return {
      isAlive: (id) => (this.#members.has(id) ? this.#reachable(observer, id) && this.#reachable(id, observer) : true),
      onChange: (l) => {
        set.add(l);
        return () => set.delete(l);
      },
    };
  }

  /** Re-evaluates every failure detector; call after changing `reachable`'s answers. */
  networkChanged(): void {
    for (const observer of this.#members.keys()) {
      let view = this.#fdView.get(observer);
      if (!view) this.#fdView.set(observer, (view = new Map()));
      const fd = this.#failureDetector(observer);
      for (const id of this.#members.keys()) {
        const alive = fd.isAlive(id);
        if (view.get(id) === alive) continue;
        view.set(id, alive);
        for (const l of [...(this.#fdListeners.get(observer) ?? [])]) l(id, alive);
      }
    }
  }

  #remoteAgent(from: string, to: string): TopologyNodeAgent {
    const call = <T>(fn: (a: LocalNodeAgent) => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const delay = (): number => this.#o.callDelay?.() ?? this.#o.callDelayMs ?? 1;
        this.clock.setTimeout(() => {
          if (!this.#reachable(from, to)) return;
          fn(this.node(to).agent).then(
            (v) => this.clock.setTimeout(() => this.#reachable(to, from) && resolve(v), delay()),
            (e: unknown) => this.clock.setTimeout(() => this.#reachable(to, from) && reject(e), delay()),
          );
        }, delay());
      });
    return {
      barrier: (cmd) => call((a) => a.barrier(cmd)),
      barrierAndDrain: (cmd) => call((a) => a.barrierAndDrain(cmd)),
      streamRanges: (cmd) => call((a) => a.streamRanges(cmd)),
      shutdown: (cmd) => call((a) => a.shutdown(cmd)),
      cleanup: (cmd) => call((a) => a.cleanup(cmd)),
    };
  }

  #membership(self: () => RaftTopologyMember): TopologyMembership {
    const id = (): string => self().id;
    const conf = () => self().server.status().conf;
    return {
      addNonVoter: async (node: TopologyNode) => {
        this.#ensureStarted(node.id);
        const c = conf();
        if (c.learners.includes(node.id) || c.voters.includes(node.id)) return;
        await self().server.addLearner(node.id);
      },
      promoteToVoter: async (id) => {
        if (conf().voters.includes(id)) return;
        await self().server.addVoter(id);
      },
      remove: async (id) => {
        const c = conf();
        if (!c.voters.includes(id) && !c.learners.includes(id)) return;
        await self().server.removeMember(id);
      },
      stepDown: async (candidates) => {
        const others = conf().voters.filter((v) => v !== id());
        if (others.length === 0) {
          const next = candidates.find((cid) => this.isAlive(cid));
          if (next === undefined) throw new Error('no other live normal node to hand leadership to');
          await self().server.addVoter(next);
        }
        await self().server.transferLeadership();
      },
    };
  }

  #ensureStarted(id: string): void {
    if (!this.#members.has(id)) this.#start(id, false);
  }

  #start(id: string, founder: boolean): void {
    if (this.#members.get(id)) return;
    let storage = this.#storages.get(id);
    if (!storage) this.#storages.set(id, (storage = this.#o.storage?.(id) ?? new MemoryStorage()));
    const knobs = this.#o.testingKnobs;
    const stateMachine = new TopologyStateMachine({ initialNodes: this.#o.nodes, ...(knobs ? { testingKnobs: knobs } : {}) });
    const server = new RaftServer<TopologyCommandResult>({
      id,
      storage,
      transport: this.#o.transport(id),
      stateMachine: new TopologyRaftStateMachine(stateMachine),
      clock: this.clock,
      ...(founder ? { bootstrap: { voters: this.#founders } } : {}),
      tickIntervalMs: this.#o.tickMs ?? 10,
      electionTicks: this.#o.electionTicks ?? 10,
      snapshotThresholdEntries: 200,
      snapshotTrailingEntries: 50,
      seed: this.#prng.nextUint32(),
    });
    const log: RaftServerLog = new RaftServerLog(server, {
      forward: (leader, command) => (this.#reachable(id, leader) ? this.node(leader).log.propose(command) : Promise.reject(new Error(`leader ${leader} unreachable`))),
    });
    const fencing = new FencingGuard({ where: id, refresh: () => log.readBarrier() });
    const failureDetector = this.#failureDetector(id);
    const agent = new LocalNodeAgent({
      nodeId: id,
      log,
      stateMachine,
      fencing,
      streamRanges: () => sleepOn(this.clock, this.#o.streamDelayMs ?? 20),
      ...(this.#o.onAgentExecute ? { onExecute: (what: string, cmd: AgentCommand) => this.#o.onAgentExecute?.(id, what, cmd) } : {}),
      ...(knobs ? { testingKnobs: knobs } : {}),
    });
    let member!: RaftTopologyMember;
    const onEvent = this.#o.onCoordinatorEvent;
    const coordinator = new TopologyCoordinator({
      nodeId: id,
      log,
      stateMachine,
      failureDetector,
      clock: this.clock,
      agents: (to) => this.#remoteAgent(id, to),
      membership: this.#membership(() => member),
      rpcTimeoutMs: this.#o.rpcTimeoutMs ?? 200,
      streamTimeoutMs: this.#o.streamTimeoutMs ?? 5000,
      retryDelayMs: this.#o.retryDelayMs ?? 20,
      barrierRetryDelayMs: 20,
      ...(onEvent ? { onEvent: (e: CoordinatorEvent) => onEvent(id, e) } : {}),
      ...(knobs ? { testingKnobs: knobs } : {}),
    });
    let n = 0;
    const client = new TopologyClient({ log, stateMachine, failureDetector, clock: this.clock, newRequestId: () => `${id}-${server.id}-${this.clock.now()}-${++n}` });
    member = { id, server, stateMachine, log, fencing, agent, coordinator, client };
    this.#members.set(id, member);
    server.start();
    coordinator.start();
    this.networkChanged();
  }

  /** Crashes a member (its storage survives). */
  kill(id: string): void {
    const m = this.#members.get(id);
    if (!m) return;
    this.#members.set(id, null);
    void m.coordinator.stop();
    m.agent.stop();
    m.server.stop();
    this.#o.onKill?.(id);
    this.networkChanged();
  }

  /** Restarts a crashed member from its storage. */
  restart(id: string): void {
    if (this.#members.get(id) !== null) return;
    this.#start(id, this.#founders.includes(id));
  }

  /** Submits a request through `via` (default: the leader). */
  submit(spec: TopologyRequestSpec, via?: string): Promise<TopologyRequest> {
    if (spec.kind === 'join' || spec.kind === 'replace') this.#ensureStarted(spec.node.id);
    const id = via ?? this.leaderId ?? this.nodes[0]!.id;
    return this.node(id).client.submit(spec);
  }

  /** Submits a request and waits for its outcome. */
  async request(spec: TopologyRequestSpec, via?: string): Promise<TopologyOutcome> {
    const id = via ?? this.leaderId ?? this.nodes[0]!.id;
    const r = await this.submit(spec, id);
    if (r.status === 'rejected') return { requestId: r.id, status: 'rejected', ...(r.code ? { code: r.code } : {}), ...(r.reason ? { reason: r.reason } : {}) };
    return this.node(id).client.waitForOutcome(r.id);
  }

  /** Advances a virtual clock by `ms`. */
  async runFor(ms: number): Promise<void> {
    await runVirtualClock(this.#virtual(), this.clock.now() + ms);
  }

  /** Advances a virtual clock until `done()` or `maxMs`; returns whether `done()` held. */
  runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    return runVirtualClock(this.#virtual(), this.clock.now() + maxMs, done);
  }

  /** Advances a virtual clock until `promise` settles. */
  drive<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    return driveVirtualClock(this.#virtual(), promise, maxMs);
  }

  #virtual(): RaftVirtualClock {
    if (!(this.clock instanceof RaftVirtualClock)) throw new TypeError('RaftTopologyCluster: runFor/runUntil/drive need a RaftVirtualClock');
    return this.clock;
  }

  /** Stops every member. */
  async stop(): Promise<void> {
    for (const id of this.ids) this.kill(id);
  }
}
