import type { Clock } from '@scylla-cp/core';
import {
  isFinalStatus,
  TopologyTimeoutError,
  type NodeState,
  type StreamRangesCommand,
  type TopologyOutcome,
  type TopologyState,
  type TransitionState,
} from '@scylla-cp/raft';
import { RaftVirtualClock, SimulatedTopologyCluster } from '@scylla-cp/raft/rafttest';
import type { RingEntry, RingState, SimTopology } from './topology.js';

/** A founding member of a {@link RaftSimTopology}. */
export interface RaftSimTopologyNode {
  /** Node id (the sim's inventory id). */
  readonly id: string;
  readonly address: string;
  readonly dc: string;
  readonly rack: string;
  /** Tokens as Scylla prints them (signed 64-bit decimals). */
  readonly tokens: readonly string[];
}

/**
 * Does one node's streaming for a topology operation: resolves when done, rejects when it
 * failed (the coordinator then rolls the operation back where it can). `signal` aborts when the
 * node dies in the topology group or the group stops.
 */
export type RaftSimStream = (cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal) => Promise<void>;

/**
 * Options of {@link RaftSimTopology}. Times are virtual milliseconds of the topology group's own
 * clock, except the work of {@link stream}, which runs on whatever clock it uses.
 */
export interface RaftSimTopologyOptions {
  /** The founding members (normal nodes of the topology). */
  readonly nodes: readonly RaftSimTopologyNode[];
  /** Ids of the founding members that vote in the Raft group (the others are non-voting replicas). @default every founding node */
  readonly voters?: readonly string[];
  /** Seed of the topology group's random choices. @default 1 */
  readonly seed?: number;
  /** Modelled duration of one streaming call on the group's clock, when there is no {@link stream}. @default 20 */
  readonly streamDelayMs?: number;
  /**
   * Streaming outside the group's clock (the simulated cluster streams on its own clock). The
   * group's clock waits while a stream is pending. @default a sleep of {@link streamDelayMs} on
   * the group's clock
   */
  readonly stream?: RaftSimStream;
  /**
   * The simulated cluster's clock. While the group works on an operation (and is not waiting
   * for a {@link stream}), a zero-delay timer is kept pending on it, so that a `VirtualClock`
   * driving the simulation neither reports a deadlock nor jumps ahead: Raft steps take no
   * simulated time, streaming does. @default none
   */
  readonly clock?: Clock;
  /** Tokens given to a bootstrapped node. @default 8 */
  readonly numTokens?: number;
  /**
   * A caller whose operation has not finished after more than this gets a `TopologyTimeoutError`
   * (the request itself stays in the group, which keeps working on it). Measured on
   * {@link clock} when given, else on the group's own virtual clock. @default 600000
   */
  readonly maxOperationMs?: number;
  /**
   * Voters the group keeps (see `SimulatedTopologyClusterOptions.voterCount`). @default the
   * number of {@link voters}
   */
  readonly voterCount?: number;
  /**
   * With {@link clock}: when no entry was committed for this much of the group's virtual time
   * (no leader, no quorum, or a coordinator retrying against a dead node), the group stops
   * running for free and is paced by the simulated cluster's clock (see {@link paceMs}), so
   * that simulated time passes (scheduled restarts happen, timeouts expire). @default 2000
   */
  readonly stallMs?: number;
  /** While paced: the group's clock advances this much after each equal sleep on {@link clock}. @default 500 */
  readonly paceMs?: number;
}

/** One caller waiting for its operation in {@link RaftSimTopology}. */
interface Waiter {
  done: boolean;
  readonly startedAt: number;
  wake: () => void;
}

/** What the REST views derived from the topology looked like after one applied Raft command. */
export interface RaftTopologySnapshot {
  /** Topology version. */
  readonly version: number;
  /** Fence version. */
  readonly fenceVersion: number;
  /** Global transition state (`null` when idle). */
  readonly tstate: TransitionState | null;
  /** Every known node's ring state as the REST views report it. */
  readonly states: Readonly<Record<string, RingState>>;
  /** Every known node's Raft topology node state. */
  readonly nodeStates: Readonly<Record<string, NodeState>>;
}

/** Maps a Raft topology node state to the ring state the REST views show. */
export function ringStateOf(state: NodeState | undefined): RingState {
  switch (state) {
    case 'normal':
    case 'rebuilding':
      return 'normal';
    case 'none':
    case 'bootstrapping':
    case 'replacing':
      return 'joining';
    case 'decommissioning':
    case 'removing':
      return 'leaving';
    default:
      return 'left';
  }
}

/**
 * A {@link SimTopology} backed by a Raft topology group among the simulated nodes
 * (`@scylla-cp/raft`'s {@link SimulatedTopologyCluster}: a virtual Raft group in-process, a
 * topology coordinator beside the leader, a node agent per node). Membership changes go
 * through topology requests ({@link leave}, {@link remove}, {@link join}, {@link replace},
 * {@link rebuild}) and the views ({@link state}, {@link ring}, ...) read the applied topology
 * state. The group runs on its own virtual clock, advanced while an operation is awaited or an
 * unfinished request remains (paced by the simulated clock when it stalls, see
 * {@link RaftSimTopologyOptions.stallMs}); its steps take no simulated-cluster time, and streaming takes whatever the
 * {@link RaftSimTopologyOptions.stream} hook takes (the group's clock waits meanwhile).
 *
 * Raft tokens are 32-bit integers; founding tokens map to their top 32 bits (the sim's original
 * decimal text is kept for display), new tokens `t` print as `t << 32`.
 */
export class RaftSimTopology implements SimTopology {
  /** The Raft topology group. */
  readonly group: SimulatedTopologyCluster;
  readonly #o: RaftSimTopologyOptions;
  readonly #text = new Map<number, string>();
  readonly #history: RaftTopologySnapshot[] = [];
  readonly #listeners = new Set<(s: RaftTopologySnapshot) => void>();
  readonly #subscribed = new Set<string>();
  readonly #pending = new Set<Waiter>();
  #driver: Promise<void> | undefined;
  #holding = false;
  #holdGen = 0;
  #stopped = false;
  #lastStateId = -1;
  #ring: { stateId: number; entries: RingEntry[] } | undefined;

  constructor(options: RaftSimTopologyOptions) {
    this.#o = options;
    const taken = new Set<number>();
    const nodes = options.nodes.map((n) => {
      const tokens = n.tokens.map((t) => {
        let v = Number(BigInt.asIntN(64, BigInt(t)) >> 32n);
        while (taken.has(v)) v = v + 1 >= 2 ** 31 ? -(2 ** 31) : v + 1;
        taken.add(v);
        this.#text.set(v, t);
        return v;
      });
      return { id: n.id, address: n.address, dc: n.dc, rack: n.rack, tokens, numTokens: tokens.length };
    });
    this.group = new SimulatedTopologyCluster({
      nodes,
      seed: options.seed ?? 1,
      clock: new RaftVirtualClock(),
      streamDelayMs: options.streamDelayMs ?? 20,
      ...(options.voters ? { voters: options.voters } : {}),
      ...(options.voterCount !== undefined ? { voterCount: options.voterCount } : {}),
      ...(options.stream ? { stream: options.stream } : {}),
    });
    for (const n of options.nodes) this.#subscribe(n.id);
    this.#record();
  }

  #subscribe(id: string): void {
    if (this.#subscribed.has(id)) return;
    this.#subscribed.add(id);
    this.group.node(id).stateMachine.onApply(() => this.#record());
  }

  #record(): void {
    const s = this.current;
    if (s.stateId <= this.#lastStateId) return;
    this.#lastStateId = s.stateId;
    const states: Record<string, RingState> = {};
    const nodeStates: Record<string, NodeState> = {};
    for (const n of Object.values(s.nodes)) {
      states[n.id] = ringStateOf(n.state);
      nodeStates[n.id] = n.state;
    }
    const snap: RaftTopologySnapshot = { version: s.version, fenceVersion: s.fenceVersion, tstate: s.tstate, states, nodeStates };
    this.#history.push(snap);
    for (const l of [...this.#listeners]) l(snap);
  }

  /** The topology as applied on the most advanced live replica (the leader's when there is one). */
  get current(): TopologyState {
    return this.group.state();
  }

  /** Every distinct applied topology state seen so far, oldest first (one entry per `stateId`). */
  get history(): readonly RaftTopologySnapshot[] {
    return this.#history;
  }

  /** Calls `listener` after each newly applied topology state; returns the unsubscribe function. */
  onChange(listener: (s: RaftTopologySnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  state(node: string): RingState {
    return ringStateOf(this.current.nodes[node]?.state);
  }

  tokensOf(node: string): readonly string[] {
    const n = this.current.nodes[node];
    if (!n || ringStateOf(n.state) === 'left') return [];
    return n.tokens.map((t) => this.#textOf(t));
  }

  ring(): readonly RingEntry[] {
    const s = this.current;
    if (this.#ring?.stateId !== s.stateId) {
      const entries: RingEntry[] = [];
      for (const n of Object.values(s.nodes)) {
        const rs = ringStateOf(n.state);
        if (rs !== 'normal' && rs !== 'leaving') continue;
        for (const t of n.tokens) {
          const text = this.#textOf(t);
          entries.push({ token: BigInt(text), text, node: n.id });
        }
      }
      entries.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
      this.#ring = { stateId: s.stateId, entries };
    }
    return this.#ring.entries;
  }

  nodesIn(state: RingState): string[] {
    return Object.values(this.current.nodes)
      .filter((n) => ringStateOf(n.state) === state)
      .map((n) => n.id);
  }

  /** Not used with Raft topology (membership changes are topology requests); throws. */
  beginLeave(node: string): void {
    throw new Error(`RaftSimTopology: beginLeave(${node}) is not supported; submit a topology request with leave() or remove()`);
  }

  /** Not used with Raft topology; throws. */
  completeLeave(node: string): void {
    throw new Error(`RaftSimTopology: completeLeave(${node}) is not supported; the topology coordinator finishes operations`);
  }

  /** Not used with Raft topology; throws. */
  cancelLeave(node: string): void {
    throw new Error(`RaftSimTopology: cancelLeave(${node}) is not supported; the topology coordinator rolls operations back`);
  }

  #textOf(t: number): string {
    return this.#text.get(t) ?? (BigInt(t) << 32n).toString();
  }

  /** Decommissions `id` through a `leave` topology request; resolves with its outcome. */
  leave(id: string): Promise<TopologyOutcome> {
    return this.#drive(this.group.decommission(id));
  }

  /** Removes the dead node `id` through a `remove` topology request; resolves with its outcome. */
  remove(id: string): Promise<TopologyOutcome> {
    return this.#drive(this.group.removenode(id));
  }

  /** Bootstraps a new node through a `join` topology request; resolves with its outcome. */
  join(node: { id: string; address: string; dc: string; rack: string }): Promise<TopologyOutcome> {
    this.group.addNode(node.id);
    this.#subscribe(node.id);
    return this.#drive(this.group.join({ ...node, numTokens: this.#o.numTokens ?? 8 }));
  }

  /** Replaces the dead node `replacedId` by a new node through a `replace` request; resolves with its outcome. */
  replace(node: { id: string; address: string; dc: string; rack: string }, replacedId: string): Promise<TopologyOutcome> {
    this.group.addNode(node.id);
    this.#subscribe(node.id);
    return this.#drive(this.group.replace(node, replacedId));
  }

  /** Rebuilds `id`'s data (from `sourceDc`) through a `rebuild` topology request; resolves with its outcome. */
  rebuild(id: string, sourceDc?: string): Promise<TopologyOutcome> {
    return this.#drive(this.group.rebuild(id, sourceDc));
  }

  /** The node's process died: its replica, coordinator and agent go silent (the failure detector sees it). */
  markDown(id: string): void {
    if (this.group.ids.includes(id)) this.group.kill(id);
    this.#ensureDriver();
  }

  /** The node's process is running again; the group resumes any unfinished operation. */
  markUp(id: string): void {
    if (this.group.ids.includes(id) && this.current.nodes[id]?.state !== 'left') this.group.restart(id);
    this.#ensureDriver();
  }

  /** Whether the group holds a request that has not ended (it keeps being driven meanwhile). */
  get hasUnfinishedWork(): boolean {
    return Object.values(this.current.requests).some((r) => !isFinalStatus(r.status));
  }

  /** Stops the group's coordinators, agents and timers; callers still waiting get a `TopologyTimeoutError`. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#setHold(false);
    for (const w of this.#pending) w.wake();
    return this.group.stop();
  }

  get #maxOperationMs(): number {
    return this.#o.maxOperationMs ?? 600_000;
  }

  #now(): number {
    return this.#o.clock?.now() ?? this.group.clock.now();
  }

  /**
   * Keeps a zero-delay timer pending on the simulated cluster's clock while `on` (see
   * {@link RaftSimTopologyOptions.clock}); while a stream is pending the hold waits for it
   * instead, so the simulated clock runs the streaming.
   */
  #setHold(on: boolean): void {
    const clock = this.#o.clock;
    if (on === this.#holding) return;
    this.#holding = on;
    if (!on || !clock) return;
    const gen = ++this.#holdGen;
    void (async () => {
      while (this.#holding && this.#holdGen === gen) {
        const wait = this.group.streamWait;
        if (wait) await wait;
        else await clock.sleep(0);
      }
    })();
  }

  /** Wakes the callers whose operation ran past `maxOperationMs` (they throw). */
  #expire(maxMs: number): void {
    const now = this.#now();
    for (const w of this.#pending) {
      if (!w.done && now - w.startedAt > maxMs) {
        this.#pending.delete(w);
        w.wake();
      }
    }
  }

  /** Whether the driver has work: a caller waiting, or (with a simulated clock) an unfinished request. */
  #hasWork(): boolean {
    if (this.#stopped) return false;
    for (const w of this.#pending) if (!w.done) return true;
    return this.#o.clock !== undefined && this.hasUnfinishedWork;
  }

  #ensureDriver(): void {
    if (this.#driver || !this.#hasWork()) return;
    const driver = this.#run().finally(() => {
      if (this.#driver === driver) this.#driver = undefined;
      this.#setHold(false);
      for (const w of this.#pending) if (w.done || this.#stopped) w.wake();
      // work that arrived while the driver was finishing
      this.#ensureDriver();
    });
    this.#driver = driver;
  }

  /**
   * Runs the group while it has work. Free mode: the group's virtual clock runs as fast as it
   * can while the simulated clock is held (Raft steps take no simulated time; streams do). When
   * nothing was committed for `stallMs` of group time, or after a long free run, paced mode: the
   * simulated clock is released for `paceMs`, then the group runs as much; back to free mode
   * once an entry is committed.
   */
  async #run(): Promise<void> {
    const maxMs = this.#maxOperationMs;
    const stallMs = this.#o.stallMs ?? 2000;
    const paceMs = this.#o.paceMs ?? 500;
    const sim = this.#o.clock;
    const raft = this.group.group;
    let paced = false;
    for (;;) {
      this.#expire(maxMs);
      if (!this.#hasWork()) return;
      if (!paced) {
        this.#setHold(true);
        let mark = raft.commitIndex;
        let since = this.group.clock.now();
        let stalled = false;
        const stop = (): boolean => {
          this.#expire(maxMs);
          if (!this.#hasWork()) return true;
          const now = this.group.clock.now();
          if (raft.commitIndex !== mark) {
            mark = raft.commitIndex;
            since = now;
          } else if (now - since >= stallMs) stalled = true;
          return stalled;
        };
        // a free run is bounded, so a livelocked group still lets simulated time pass
        const stopped = await this.group.runUntil(stop, 20 * stallMs);
        if (stalled || !stopped) paced = true;
      } else {
        const before = raft.commitIndex;
        if (sim) {
          this.#setHold(false);
          await sim.sleep(paceMs);
          if (!this.#hasWork()) return;
          this.#setHold(true);
        }
        await this.group.runFor(paceMs);
        if (raft.commitIndex !== before) paced = false;
      }
    }
  }

  /**
   * Waits for one operation: the caller resumes as soon as its own operation ended (others
   * may still be running), or throws `TopologyTimeoutError` after `maxOperationMs`. The group is
   * driven by one shared driver (see {@link #run}).
   */
  async #drive<T>(p: Promise<T>): Promise<T> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const w: Waiter = { done: false, startedAt: this.#now(), wake };
    const end = (): void => {
      w.done = true;
      w.wake();
    };
    p.then(end, end);
    this.#pending.add(w);
    this.#ensureDriver();
    await woken;
    this.#pending.delete(w);
    if (!w.done) {
      const maxMs = this.#maxOperationMs;
      const clock = this.#o.clock ? "simulated cluster's clock" : "topology group's virtual clock";
      throw new TopologyTimeoutError(
        this.#stopped
          ? 'the topology group stopped before the operation finished'
          : `topology operation not finished within ${maxMs} ms of the ${clock}; the request stays in the topology group, which keeps working on it`,
      );
    }
    return p;
  }
}
