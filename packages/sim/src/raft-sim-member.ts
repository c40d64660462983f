import {
  FencingGuard,
  LocalNodeAgent,
  RaftPrng,
  RaftServer,
  RaftServerLog,
  TopologyClient,
  TopologyCoordinator,
  TopologyRaftStateMachine,
  TopologyStateMachine,
  type CoordinatorEvent,
  type ReplicatedLog,
  type TopologyApplyListener,
  type TopologyCommandResult,
  type TopologyMembership,
} from '@scylla-cp/raft';
import { SimDisk } from '@scylla-cp/raft/rafttest';
import type { RaftSimClock } from './raft-sim-clock.js';
import type { RaftSimGroupOptions } from './raft-sim-group-options.js';
import { RaftSimNetwork } from './raft-sim-network.js';
import { CountingLog, type RaftSimQuiet } from './raft-sim-quiet.js';

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

/** A member across its incarnations: its disk, its role, the running incarnation. */
export interface RaftSimSlot {
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

/** What {@link RaftSimMembers} needs from the group around it. */
export interface RaftSimMembersOptions {
  readonly group: RaftSimGroupOptions;
  readonly clock: RaftSimClock;
  readonly quiet: RaftSimQuiet;
  /** Whether the group stopped (no coordinator starts then). */
  readonly stopped: () => boolean;
  /** The Raft membership changes a coordinator on `self` makes. */
  readonly membership: (self: string) => TopologyMembership;
  /** Called after every command any member applies. */
  readonly onApply: TopologyApplyListener;
}

/**
 * The members of the topology group and their life: each member is a `RaftServer` on its own
 * `SimDisk` with a `TopologyStateMachine`, a node agent, a fencing guard, a client and, once it
 * votes, a `TopologyCoordinator`; {@link crash} stops them and crashes the disk (unsynced
 * writes are lost, wholly or as a torn suffix, seeded), {@link start} builds a new incarnation
 * from what the disk kept. Also the in-process network between them and the lookups over them.
 */
export class RaftSimMembers {
  /** The in-process network between the members. */
  readonly net: RaftSimNetwork;
  readonly #o: RaftSimMembersOptions;
  readonly #slots = new Map<string, RaftSimSlot>();
  readonly #prng: RaftPrng;

  constructor(options: RaftSimMembersOptions) {
    this.#o = options;
    this.#prng = new RaftPrng(options.group.seed ?? 1);
    this.net = new RaftSimNetwork({
      clock: options.clock,
      isAlive: (id) => this.isAlive(id),
      isMember: (id) => this.#slots.has(id),
      members: () => this.#slots.keys(),
      agentOf: (id) => this.#slots.get(id)?.current?.agent,
    });
  }

  // ------------------------------------------------------------------ lookups

  /** Ids of every member (founding and added). */
  get ids(): string[] {
    return [...this.#slots.keys()];
  }

  /** The member across its incarnations, if known. */
  slot(id: string): RaftSimSlot | undefined {
    return this.#slots.get(id);
  }

  /** Every member, in the order they were made. */
  slots(): IterableIterator<RaftSimSlot> {
    return this.#slots.values();
  }

  /** Whether the member's process is running. */
  isAlive(id: string): boolean {
    return this.#slots.get(id)?.current != null;
  }

  /** The running incarnation of `id`, if any. */
  running(id: string): RaftSimMember | undefined {
    return this.#slots.get(id)?.current ?? undefined;
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

  /** The leader, else the member (running or last incarnation) that applied the most. */
  best(): RaftSimMember | undefined {
    const leader = this.leaderId;
    if (leader !== undefined) return this.#slots.get(leader)!.current!;
    let best: RaftSimMember | undefined;
    for (const s of this.#slots.values()) {
      const m = s.current ?? s.last;
      if (m && (!best || m.stateMachine.state.stateId > best.stateMachine.state.stateId)) best = m;
    }
    return best;
  }

  /** The running server of `self`; throws while it is down. */
  server(self: string): RaftServer<TopologyCommandResult> {
    const m = this.#slots.get(self)?.current;
    if (!m) throw new Error(`${self} is not running`);
    return m.server;
  }

  // ------------------------------------------------------------------ life

  /** Makes the founding members (`voters` vote, `learners` do not) and starts them with that configuration. */
  found(voters: readonly string[], learners: readonly string[]): void {
    const ids = this.#o.group.nodes.map((n) => n.id);
    for (const id of ids) this.#slot(id, true, voters.includes(id));
    for (const id of ids) this.start(id, { voters, learners });
  }

  /** Makes and starts the member of a node about to join or replace, unless it exists. */
  add(id: string): void {
    if (this.#slots.has(id)) return;
    this.#slot(id, false, false);
    this.start(id);
  }

  /** The member's process died: server, coordinator and agent stop; its disk loses what was not synced. Returns false if it was not running. */
  crash(id: string): boolean {
    const s = this.#slots.get(id);
    const m = s?.current;
    if (!s || !m) return false;
    s.current = null;
    void m.coordinator?.stop();
    m.agent.stop();
    m.server.stop();
    s.disk.crash();
    return true;
  }

  /** Stops every running member (disks keep everything); resolves once their coordinators stopped. */
  stopAll(): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const s of this.#slots.values()) {
      const m = s.current;
      if (!m) continue;
      s.current = null;
      if (m.coordinator) stopping.push(m.coordinator.stop());
      m.agent.stop();
      m.server.stop();
    }
    return Promise.all(stopping).then(() => {});
  }

  /** Marks `id` a voter and starts a coordinator on its running incarnation, if it has none. */
  ensureCoordinator(id: string): void {
    const s = this.#slots.get(id);
    if (!s) return;
    s.voter = true;
    const m = s.current;
    if (!m || m.coordinator || this.#o.stopped()) return;
    const coordinator = this.#coordinator(id, m);
    (m as { coordinator: TopologyCoordinator | undefined }).coordinator = coordinator;
    coordinator.start();
  }

  /** Starts a new incarnation of `id` from its disk (`bootstrap`: the founding configuration). */
  start(id: string, bootstrap?: { voters: readonly string[]; learners: readonly string[] }): void {
    const s = this.#slots.get(id)!;
    const g = this.#o.group;
    const clock = this.#o.clock;
    const stateMachine = new TopologyStateMachine({ initialNodes: g.nodes });
    stateMachine.onApply(this.#o.onApply);
    const server = new RaftServer<TopologyCommandResult>({
      id,
      storage: s.disk,
      transport: this.net.transport(id),
      stateMachine: new TopologyRaftStateMachine(stateMachine),
      clock,
      ...(bootstrap ? { bootstrap } : {}),
      tickIntervalMs: g.tickMs ?? 10,
      electionTicks: g.electionTicks ?? 10,
      snapshotThresholdEntries: 200,
      snapshotTrailingEntries: 50,
      seed: this.#prng.nextUint32(),
    });
    const raftLog = new RaftServerLog(server, {
      forward: (leader, command) => {
        const target = this.#slots.get(leader)?.current;
        return target && this.net.reachable(id, leader) ? target.log.propose(command) : Promise.reject(new Error(`leader ${leader} unreachable`));
      },
    });
    const log = new CountingLog(raftLog, this.#o.quiet.counters);
    const fencing = new FencingGuard({ where: id, refresh: () => log.readBarrier() });
    const stream = g.stream;
    const agent = new LocalNodeAgent({
      nodeId: id,
      log,
      stateMachine,
      fencing,
      streamRanges: (cmd) =>
        stream
          ? this.#o.quiet.streamOutside(stream, cmd, id, this.#o.stopped() ? 'the topology group stopped' : !this.isAlive(id) ? `node ${id} is down` : undefined)
          : new Promise<void>((resolve) => void clock.work.setTimeout(resolve, g.streamDelayMs ?? 20)),
      onShutdown: () => {
        s.shutDown = true;
      },
    });
    const client = new TopologyClient({
      log,
      stateMachine,
      failureDetector: this.net.failureDetector(id),
      clock: clock.work,
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
    if (s.voter) this.ensureCoordinator(id);
    this.net.changed(id);
  }

  #slot(id: string, founder: boolean, voter: boolean): RaftSimSlot {
    const disk = new SimDisk({
      // syncs land at the same simulated instant, after the write (sync latency below the
      // simulation's resolution); a crash before they fire still loses them
      clock: { now: () => this.#o.clock.now(), setTimeout: (fn) => this.#o.clock.setTimeout(fn, 0) },
      prng: this.#prng.fork(),
      syncMaxMs: 1,
    });
    const s: RaftSimSlot = { id, disk, founder, current: null, last: undefined, voter, shutDown: false, requests: 0 };
    this.#slots.set(id, s);
    return s;
  }

  #coordinator(id: string, m: Omit<RaftSimMember, 'coordinator'>): TopologyCoordinator {
    const g = this.#o.group;
    const onEvent = g.onCoordinatorEvent;
    return new TopologyCoordinator({
      nodeId: id,
      log: m.log,
      stateMachine: m.stateMachine,
      failureDetector: this.net.failureDetector(id),
      clock: this.#o.clock.work,
      agents: (to) => this.net.agentClient(id, to),
      membership: this.#o.membership(id),
      rpcTimeoutMs: g.rpcTimeoutMs ?? 200,
      // streaming takes the simulation's time; a stream that cannot finish fails when its node dies
      streamTimeoutMs: 24 * 3_600_000,
      retryDelayMs: 20,
      barrierRetryDelayMs: 20,
      ...(onEvent ? { onEvent: (e: CoordinatorEvent) => onEvent(id, e) } : {}),
    });
  }
}
