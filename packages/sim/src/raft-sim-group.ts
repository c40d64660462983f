import type { Clock } from '@scylla-cp/core';
import {
  FencingGuard,
  isFinalStatus,
  LocalNodeAgent,
  outcomeOf,
  RaftPrng,
  RaftServer,
  RaftServerLog,
  TopologyClient,
  TopologyCoordinator,
  TopologyRaftStateMachine,
  TopologyStateMachine,
  TopologyStoppedError,
  type CoordinatorEvent,
  type InitialNode,
  type NewNodeSpec,
  type ReplicatedLog,
  type RoleChange,
  type StreamRangesCommand,
  type TopologyApplyListener,
  type TopologyCommand,
  type TopologyCommandResult,
  type TopologyMembership,
  type TopologyNode,
  type TopologyOutcome,
  type TopologyRequest,
  type TopologyRequestSpec,
  type TopologyState,
} from '@scylla-cp/raft';
import { SimDisk } from '@scylla-cp/raft/rafttest';
import { RaftSimClock } from './raft-sim-clock.js';
import { RaftSimNetwork } from './raft-sim-network.js';

/**
 * Does one node's streaming for a topology operation on the simulation's clock: resolves when
 * done, rejects when it failed. `signal` aborts when the node's process dies or the group stops.
 */
export type RaftSimStream = (cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal) => Promise<void>;

/** Options of {@link RaftSimGroup}. Times in milliseconds. */
export interface RaftSimGroupOptions {
  /** Founding members: normal nodes of the topology, each with a Raft server. */
  readonly nodes: readonly InitialNode[];
  /** Founding members that vote (the others are learners, without a coordinator). @default every founding node */
  readonly voters?: readonly string[];
  /** Voters the group keeps as nodes leave and join (see {@link RaftSimGroup}). @default the number of {@link voters} */
  readonly voterCount?: number;
  /** The simulation's clock: the servers run on it (see {@link RaftSimClock}). */
  readonly clock: Clock;
  /** Seed of election timeouts and of what a crash loses of unsynced writes. @default 1 */
  readonly seed?: number;
  /** Streaming of topology operations. @default a sleep of {@link streamDelayMs} of Raft time */
  readonly stream?: RaftSimStream;
  /** Streaming time without {@link stream}. @default 20 */
  readonly streamDelayMs?: number;
  /** Raft tick. @default 10 */
  readonly tickMs?: number;
  /** Election timeout in ticks (randomized up to twice this). @default 10 */
  readonly electionTicks?: number;
  /** The coordinator's timeout of barrier and shutdown calls. @default 200 */
  readonly rpcTimeoutMs?: number;
  /** Receives every coordinator event. @default none */
  readonly onCoordinatorEvent?: (nodeId: string, event: CoordinatorEvent) => void;
}

/** One running incarnation of a member (a restart makes a new one from the member's disk). */
export interface RaftSimMember {
  readonly id: string;
  readonly server: RaftServer<TopologyCommandResult>;
  readonly stateMachine: TopologyStateMachine;
  readonly log: ReplicatedLog;
  readonly fencing: FencingGuard;
  readonly agent: LocalNodeAgent;
  readonly client: TopologyClient;
  /** Present once the member votes or voted (only a voter can lead and coordinate). */
  readonly coordinator: TopologyCoordinator | undefined;
}

interface Slot {
  readonly id: string;
  readonly disk: SimDisk;
  readonly founder: boolean;
  /** The running incarnation; null while the process is down. */
  current: RaftSimMember | null;
  /** The latest incarnation (kept after a crash for inspection). */
  last: RaftSimMember | undefined;
  /** It voted at some point: its incarnations run a coordinator. */
  voter: boolean;
  /** It received the shutdown command of a finished leave. */
  shutDown: boolean;
  /** Request ids made through this member. */
  requests: number;
}

/** Counts in-flight proposals and reads of a replica, so the group can tell when it is quiet. */
class CountingLog implements ReplicatedLog {
  constructor(
    private readonly inner: ReplicatedLog,
    private readonly group: { ops: number },
  ) {}

  async propose(command: TopologyCommand): Promise<TopologyCommandResult> {
    this.group.ops++;
    try {
      return await this.inner.propose(command);
    } finally {
      this.group.ops--;
    }
  }

  async readBarrier(): Promise<void> {
    this.group.ops++;
    try {
      await this.inner.readBarrier();
    } finally {
      this.group.ops--;
    }
  }

  isLeader(): boolean {
    return this.inner.isLeader();
  }

  term(): number {
    return this.inner.term();
  }

  onRoleChange(listener: (change: RoleChange) => void): () => void {
    return this.inner.onRoleChange(listener);
  }
}

/**
 * The simulated cluster's topology group over the real Raft library: every node runs a
 * `RaftServer` (storage: a `SimDisk`, transport: an in-process network), a
 * `TopologyStateMachine`, a node agent, a fencing guard and a client; voters also run a
 * `TopologyCoordinator`, which works while its server leads.
 *
 * **Time.** Everything runs on the simulation's clock through a {@link RaftSimClock}. Messages
 * and disk syncs take no simulated time (they land later at the same instant, so a crash at
 * that instant can still lose an unsynced write); ticks, election timeouts and coordinator
 * delays do. While the group is quiet (a leader, every member caught up, nothing in flight, or
 * only streaming under way) its clock pauses, so heartbeats do not cost simulated hours; any
 * call into the group resumes it.
 *
 * **Crashes.** {@link kill} stops the member's server, coordinator and agent and crashes its
 * disk (unsynced writes are lost, wholly or as a torn suffix, seeded); {@link restart} starts a
 * new server from what the disk kept.
 *
 * **Voters.** The group keeps `voterCount` voters: a node that leaves the ring is removed from
 * the Raft configuration, and learners are promoted (the node finishing its join first, then
 * nodes of racks without a voter) until the count is back.
 */
export class RaftSimGroup {
  /** The group's clock: the simulation's, from 0, paused while the group is quiet (see {@link RaftSimClock}). */
  readonly clock: RaftSimClock;
  readonly #o: RaftSimGroupOptions;
  readonly #net: RaftSimNetwork;
  readonly #slots = new Map<string, Slot>();
  readonly #prng: RaftPrng;
  readonly #applyListeners = new Set<TopologyApplyListener>();
  readonly #external = new Map<number, { readonly nodeId: string; readonly abort: AbortController }>();
  readonly #outcomeWaits = new Set<() => void>();
  readonly #counters = { ops: 0 };
  #externalSeq = 0;
  #confOps = 0;
  #memberChain: Promise<void> = Promise.resolve();
  #voterCount: number;
  #stopped = false;

  constructor(options: RaftSimGroupOptions) {
    if (options.nodes.length === 0) throw new RangeError('RaftSimGroup: at least one founding node is required');
    const ids = options.nodes.map((n) => n.id);
    const voters = options.voters ?? ids;
    if (voters.length === 0) throw new RangeError('RaftSimGroup: at least one voter is required');
    for (const v of voters) if (!ids.includes(v)) throw new RangeError(`RaftSimGroup: voter ${v} is not a founding node`);
    this.#o = options;
    this.#voterCount = options.voterCount ?? voters.length;
    this.#prng = new RaftPrng(options.seed ?? 1);
    this.clock = new RaftSimClock(options.clock);
    this.clock.onIdleCheck = () => this.#idleCheck();
    this.#net = new RaftSimNetwork({
      clock: this.clock,
      isAlive: (id) => this.isAlive(id),
      isMember: (id) => this.#slots.has(id),
      members: () => this.#slots.keys(),
      agentOf: (id) => this.#slots.get(id)?.current?.agent,
    });
    const learners = ids.filter((id) => !voters.includes(id));
    for (const id of ids) this.#slot(id, true, voters.includes(id));
    for (const id of ids) this.#start(id, { voters, learners });
    // elect the first leader at once: the cluster's first request must not wait an election timeout
    this.#slots.get(voters[0]!)!.current!.server.campaign();
    this.clock.runDue();
  }

  // ------------------------------------------------------------------ views

  /** Ids of every member (founding and added). */
  get ids(): string[] {
    return [...this.#slots.keys()];
  }

  /** The running leader with the highest term, if any (where the coordinator works). */
  get leaderId(): string | undefined {
    let best: RaftSimMember | undefined;
    for (const s of this.#slots.values()) {
      const m = s.current;
      if (m?.server.isLeader() && (!best || m.log.term() > best.log.term())) best = m;
    }
    return best?.id;
  }

  /** Whether the member's process is running. */
  isAlive(id: string): boolean {
    return this.#slots.get(id)?.current != null;
  }

  /** The member's parts: the running incarnation, else the last one. Throws for an unknown id. */
  node(id: string): RaftSimMember {
    const s = this.#slots.get(id);
    const m = s?.current ?? s?.last;
    if (!m) throw new RangeError(`RaftSimGroup: no member ${id}`);
    return m;
  }

  /** The Raft configuration as the leader (else the most advanced running member) sees it. */
  get conf(): { readonly voters: readonly string[]; readonly learners: readonly string[] } {
    const m = this.#best();
    return m ? m.server.status().conf : { voters: [], learners: [] };
  }

  /** The Raft configuration's voters and leadership transfer, in one small view. */
  readonly group: { isVoter(id: string): boolean; readonly voters: string[]; transferLeadership(from: string): Promise<void> } = (() => {
    const g = this;
    return {
      /** Whether `id` votes in the current configuration. */
      isVoter: (id: string): boolean => g.conf.voters.includes(id),
      /** The voters of the current configuration (a copy). */
      get voters(): string[] {
        return [...g.conf.voters];
      },
      /** Makes the leader `from` hand leadership to another voter. */
      transferLeadership: (from: string): Promise<void> => g.transferLeadership(from),
    };
  })();

  /** The member's simulated disk (kept across crashes; what a restart loads). Throws for an unknown id. */
  disk(id: string): SimDisk {
    const s = this.#slots.get(id);
    if (!s) throw new RangeError(`RaftSimGroup: no member ${id}`);
    return s.disk;
  }

  /** How many entries the member applied (0 while down). */
  appliedIndex(id: string): number {
    const m = this.#slots.get(id)?.current;
    return m ? m.server.status().appliedIndex : 0;
  }

  #best(): RaftSimMember | undefined {
    const leader = this.leaderId;
    if (leader !== undefined) return this.#slots.get(leader)!.current!;
    let best: RaftSimMember | undefined;
    for (const s of this.#slots.values()) {
      const m = s.current ?? s.last;
      if (m && (!best || this.#applied(m) > this.#applied(best))) best = m;
    }
    return best;
  }

  #applied(m: RaftSimMember): number {
    return m.stateMachine.state.stateId;
  }

  /** The topology on `id`'s replica (default: the leader's, else the most advanced member's). Not a linearizable read. */
  state(id?: string): TopologyState {
    const m = id !== undefined ? this.node(id) : this.#best();
    if (!m) throw new RangeError('RaftSimGroup: no member');
    return m.stateMachine.state;
  }

  /** Calls `listener` after every command any member applies; returns the unsubscribe function. */
  onApply(listener: TopologyApplyListener): () => void {
    this.#applyListeners.add(listener);
    return () => this.#applyListeners.delete(listener);
  }

  // ------------------------------------------------------------------ requests

  /** Creates (and starts) the member of a node about to join or replace; the coordinator adds it to the configuration. */
  addNode(id: string): RaftSimMember {
    if (!this.#slots.has(id)) {
      this.#slot(id, false, false);
      this.#start(id);
    }
    return this.node(id);
  }

  /** Submits a request through `via` (default: the leader, else any running member); resolves once admitted or rejected. */
  submit(spec: TopologyRequestSpec, via?: string): Promise<TopologyRequest> {
    if (spec.kind === 'join' || spec.kind === 'replace') this.addNode(spec.node.id);
    return this.#via(via).client.submit(spec);
  }

  /** Submits a request and resolves with its final outcome, as applied on whichever member applies it first. */
  async request(spec: TopologyRequestSpec, via?: string): Promise<TopologyOutcome> {
    const r = await this.submit(spec, via);
    if (r.status === 'rejected') return outcomeOf(r);
    return this.#anyOutcome(r.id);
  }

  /** Aborts a pending request (leave, remove, rebuild; not join or replace) through the leader. */
  abort(requestId: string, via?: string): ReturnType<TopologyClient['abort']> {
    return this.#via(via).client.abort(requestId);
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

  #via(via?: string): RaftSimMember {
    const id = via ?? this.leaderId ?? [...this.#slots.values()].find((s) => s.current)?.id;
    const m = id === undefined ? undefined : this.#slots.get(id)?.current;
    if (!m) throw new RangeError(`RaftSimGroup: no running member to talk through${via !== undefined ? ` (${via} is down)` : ''}`);
    return m;
  }

  #anyOutcome(requestId: string): Promise<TopologyOutcome> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        done = true;
        off();
        this.#outcomeWaits.delete(abandon);
      };
      const abandon = (): void => {
        if (done) return;
        finish();
        reject(new TopologyStoppedError(`the topology group stopped before request ${requestId} finished`));
      };
      const check = (state: TopologyState): void => {
        const q = state.requests[requestId];
        if (done || !q || !isFinalStatus(q.status)) return;
        finish();
        resolve(outcomeOf(q));
      };
      const off = this.onApply((_c, _r, state) => check(state));
      if (this.#stopped) return abandon();
      this.#outcomeWaits.add(abandon);
      for (const s of this.#slots.values()) if (s.current && !done) check(s.current.stateMachine.state);
    });
  }

  // ------------------------------------------------------------------ faults

  /** The member's process died: server, coordinator and agent stop; its disk loses what was not synced (seeded). */
  kill(id: string): void {
    const s = this.#slots.get(id);
    const m = s?.current;
    if (!s || !m) return;
    s.current = null;
    void m.coordinator?.stop();
    m.agent.stop();
    m.server.stop();
    s.disk.crash();
    for (const w of this.#external.values()) if (w.nodeId === id) w.abort.abort(new Error(`node ${id} died during streaming`));
    this.#net.died(id);
    this.#net.changed(id);
    this.#wake();
  }

  /** Restarts a crashed member from what its disk kept. */
  restart(id: string): void {
    const s = this.#slots.get(id);
    if (!s || s.current || this.#stopped) return;
    this.#start(id);
    this.#wake();
  }

  /** Makes the leader `from` hand leadership to another voter; rejects when `from` does not lead. */
  async transferLeadership(from: string): Promise<void> {
    const m = this.#slots.get(from)?.current;
    if (!m) throw new Error(`${from} is not running`);
    await this.#conf(() => m.server.transferLeadership());
  }

  /**
   * Lets the group run (resumes its clock) and polls `done()` every tick of the simulated
   * cluster's clock, for at most `maxMs` of it; resolves with whether `done()` held.
   */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    const sim = this.#o.clock;
    const until = sim.now() + maxMs;
    this.#wake();
    while (!done()) {
      if (sim.now() >= until || this.#stopped) return false;
      await sim.sleep(this.#o.tickMs ?? 10);
    }
    return true;
  }

  /** Whether any request has not reached a final status. */
  get hasUnfinishedWork(): boolean {
    const s = this.#best()?.stateMachine.state;
    return s !== undefined && Object.values(s.requests).some((r) => !isFinalStatus(r.status));
  }

  /** Stops every member and the group's clock; waits on outcomes end with `TopologyStoppedError`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const abandon of [...this.#outcomeWaits]) abandon();
    for (const w of this.#external.values()) w.abort.abort(new Error('the topology group stopped'));
    const stopping: Promise<void>[] = [];
    for (const s of this.#slots.values()) {
      const m = s.current;
      if (!m) continue;
      s.current = null;
      if (m.coordinator) stopping.push(m.coordinator.stop());
      m.agent.stop();
      m.server.stop();
    }
    this.clock.stop();
    await Promise.all(stopping);
  }

  // ------------------------------------------------------------------ quiet detection

  /** Resumes the clock (a fault or a call changed what the group has to do), and looks again at once. */
  #wake(): void {
    this.clock.resume();
    // a wake-up at this instant: a group that is still quiet pauses again before its next tick
    this.clock.setTimeout(() => {}, 0);
  }

  /**
   * Quiet: nothing in flight (proposals, reads, configuration changes; work timers, except
   * while a stream runs outside the group), a leader, its log committed and applied, and
   * every running member of the configuration on its term and caught up. Then the clock
   * pauses (checked after every wake-up of the clock).
   */
  #idleCheck(): void {
    if (!this.#stopped && this.#quiet()) this.clock.pause();
  }

  #quiet(): boolean {
    if (this.#counters.ops > 0 || this.#confOps > 0) return false;
    if (this.clock.pendingWork > 0 && this.#external.size === 0) return false;
    const leaderId = this.leaderId;
    if (leaderId === undefined) return false;
    // the cores' own fields: this runs after every wake-up, over every member
    const lc = this.#slots.get(leaderId)!.current!.server.raft;
    const committed = lc.log.committed;
    if (committed !== lc.log.lastIndex() || lc.log.applied !== committed) return false;
    const conf = lc.confState();
    if (conf.votersOutgoing.length > 0) return false;
    const term = lc.currentTerm;
    for (const ids of [conf.voters, conf.learners]) {
      for (const id of ids) {
        const m = this.#slots.get(id)?.current;
        if (!m) continue;
        const c = m.server.raft;
        if (c.currentTerm !== term || c.leader !== leaderId || c.log.applied !== committed) return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ wiring

  #slot(id: string, founder: boolean, voter: boolean): Slot {
    const disk = new SimDisk({
      // syncs land at the same simulated instant, after the write (sync latency below the
      // simulation's resolution); a crash before they fire still loses them
      clock: { now: () => this.clock.now(), setTimeout: (fn) => this.clock.setTimeout(fn, 0) },
      prng: this.#prng.fork(),
      syncMaxMs: 1,
    });
    const s: Slot = { id, disk, founder, current: null, last: undefined, voter, shutDown: false, requests: 0 };
    this.#slots.set(id, s);
    return s;
  }

  async #streamOutside(stream: RaftSimStream, cmd: StreamRangesCommand, id: string): Promise<void> {
    const abort = new AbortController();
    if (this.#stopped || !this.isAlive(id)) abort.abort(new Error(this.#stopped ? 'the topology group stopped' : `node ${id} is down`));
    const key = ++this.#externalSeq;
    this.#external.set(key, { nodeId: id, abort });
    try {
      await stream(cmd, id, abort.signal);
    } finally {
      this.#external.delete(key);
    }
  }

  /** Runs configuration changes one at a time (Raft allows one in progress), counted as in flight. */
  #conf<T>(fn: () => Promise<T>): Promise<T> {
    this.#confOps++;
    this.#wake();
    const run = this.#memberChain.then(fn);
    this.#memberChain = run.then(
      () => {},
      () => {},
    );
    return run.finally(() => {
      this.#confOps--;
    });
  }

  #server(self: string): RaftServer<TopologyCommandResult> {
    const m = this.#slots.get(self)?.current;
    if (!m) throw new Error(`${self} is not running`);
    return m.server;
  }

  /**
   * Promotes running learners until the configuration has `target` voters: `prefer` first (a
   * node finishing its join), then normal nodes of racks without a voter, then other normal
   * nodes (by id).
   */
  async #topUpVoters(self: string, prefer?: string, target = this.#voterCount): Promise<void> {
    for (;;) {
      const server = this.#server(self);
      const conf = server.status().conf;
      if (conf.voters.length >= target) return;
      const s = this.#slots.get(self)!.current!.stateMachine.state;
      const rackOf = (id: string): string | undefined => {
        const n = s.nodes[id];
        return n ? `${n.dc}/${n.rack}` : undefined;
      };
      const voterRacks = new Set(conf.voters.filter((v) => this.isAlive(v)).map(rackOf));
      const eligible = conf.learners.filter((id) => {
        if (!this.isAlive(id) || this.#slots.get(id)?.shutDown) return false;
        const st = s.nodes[id]?.state;
        return st === 'normal' || (id === prefer && (st === 'bootstrapping' || st === 'replacing'));
      });
      if (eligible.length === 0) return;
      eligible.sort((a, b) => (a === prefer ? -1 : b === prefer ? 1 : 0) || Number(voterRacks.has(rackOf(a))) - Number(voterRacks.has(rackOf(b))) || (a < b ? -1 : a > b ? 1 : 0));
      const next = eligible[0]!;
      this.#ensureCoordinator(next);
      await server.addVoter(next);
    }
  }

  #membership(self: string): TopologyMembership {
    return {
      addNonVoter: (node: TopologyNode) =>
        this.#conf(async () => {
          if (!this.#slots.has(node.id)) this.addNode(node.id);
          const server = this.#server(self);
          const c = server.status().conf;
          if (c.learners.includes(node.id) || c.voters.includes(node.id)) return;
          await server.addLearner(node.id);
        }),
      promoteToVoter: (id) => this.#conf(() => this.#topUpVoters(self, id)),
      remove: (id) =>
        this.#conf(async () => {
          const server = this.#server(self);
          const c = server.status().conf;
          if (c.voters.includes(id) || c.learners.includes(id)) {
            // the last voter (a one-voter group replacing its voter) hands over first
            if (c.voters.includes(id) && c.voters.length <= 1) await this.#topUpVoters(self, this.#slots.get(self)!.current!.stateMachine.state.transition?.nodeId, 2);
            await server.removeMember(id);
          }
          await this.#topUpVoters(self);
        }),
      stepDown: (candidates) =>
        this.#conf(async () => {
          const server = this.#server(self);
          const c = server.status().conf;
          const others = c.voters.filter((v) => v !== self && this.isAlive(v));
          if (others.length === 0) {
            const next = candidates.find((id) => !c.voters.includes(id) && this.isAlive(id));
            if (next === undefined) throw new Error(`${self} is leaving and no other live normal node can take over the topology group`);
            if (!c.learners.includes(next)) await server.addLearner(next);
            this.#ensureCoordinator(next);
            await server.addVoter(next);
          }
          await server.transferLeadership();
        }),
    };
  }

  #ensureCoordinator(id: string): void {
    const s = this.#slots.get(id);
    if (!s) return;
    s.voter = true;
    const m = s.current;
    if (!m || m.coordinator || this.#stopped) return;
    const coordinator = this.#coordinator(id, m);
    (m as { coordinator: TopologyCoordinator | undefined }).coordinator = coordinator;
    coordinator.start();
  }

  #coordinator(id: string, m: Omit<RaftSimMember, 'coordinator'>): TopologyCoordinator {
    const onEvent = this.#o.onCoordinatorEvent;
    return new TopologyCoordinator({
      nodeId: id,
      log: m.log,
      stateMachine: m.stateMachine,
      failureDetector: this.#net.failureDetector(id),
      clock: this.clock.work,
      agents: (to) => this.#net.agentClient(id, to),
      membership: this.#membership(id),
      rpcTimeoutMs: this.#o.rpcTimeoutMs ?? 200,
      // streaming takes the simulation's time; a stream that cannot finish fails when its node dies
      streamTimeoutMs: 24 * 3_600_000,
      retryDelayMs: 20,
      barrierRetryDelayMs: 20,
      ...(onEvent ? { onEvent: (e: CoordinatorEvent) => onEvent(id, e) } : {}),
    });
  }

  #start(id: string, bootstrap?: { voters: readonly string[]; learners: readonly string[] }): void {
    const s = this.#slots.get(id)!;
    const stateMachine = new TopologyStateMachine({ initialNodes: this.#o.nodes });
    stateMachine.onApply((c, r, state) => {
      for (const l of [...this.#applyListeners]) l(c, r, state);
    });
    const server = new RaftServer<TopologyCommandResult>({
      id,
      storage: s.disk,
      transport: this.#net.transport(id),
      stateMachine: new TopologyRaftStateMachine(stateMachine),
      clock: this.clock,
      ...(bootstrap ? { bootstrap } : {}),
      tickIntervalMs: this.#o.tickMs ?? 10,
      electionTicks: this.#o.electionTicks ?? 10,
      snapshotThresholdEntries: 200,
      snapshotTrailingEntries: 50,
      seed: this.#prng.nextUint32(),
    });
    const raftLog = new RaftServerLog(server, {
      forward: (leader, command) => {
        const target = this.#slots.get(leader)?.current;
        return target && this.#net.reachable(id, leader) ? target.log.propose(command) : Promise.reject(new Error(`leader ${leader} unreachable`));
      },
    });
    const log = new CountingLog(raftLog, this.#counters);
    const fencing = new FencingGuard({ where: id, refresh: () => log.readBarrier() });
    const stream = this.#o.stream;
    const agent = new LocalNodeAgent({
      nodeId: id,
      log,
      stateMachine,
      fencing,
      streamRanges: (cmd) =>
        stream
          ? this.#streamOutside(stream, cmd, id)
          : new Promise<void>((resolve) => void this.clock.work.setTimeout(resolve, this.#o.streamDelayMs ?? 20)),
      onShutdown: () => {
        s.shutDown = true;
      },
    });
    const client = new TopologyClient({
      log,
      stateMachine,
      failureDetector: this.#net.failureDetector(id),
      clock: this.clock.work,
      // a submission outlasts a leader election, even one stretched by a busy machine in real time
      // (the default, 20 attempts 50 ms apart, is 1 s: a few election timeouts)
      maxAttempts: 200,
      retryDelayMs: 50,
      newRequestId: () => `${id}-r${++s.requests}`,
    });
    const member: RaftSimMember = { id, server, stateMachine, log, fencing, agent, client, coordinator: undefined };
    s.current = member;
    s.last = member;
    server.start();
    if (s.voter) this.#ensureCoordinator(id);
    this.#net.changed(id);
  }
}
