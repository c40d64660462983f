import type { Clock } from '@scylla-cp/core';
import {
  SimulatedTopologyCluster,
  TopologyTimeoutError,
  VirtualClock as RaftVirtualClock,
  type NodeState,
  type StreamRangesCommand,
  type TopologyOutcome,
  type TopologyState,
  type TransitionState,
} from '@scylla-cp/raft';
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
  /** An operation not finished after this much virtual time fails with `TopologyTimeoutError`. @default 600000 */
  readonly maxOperationMs?: number;
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
 * state. The group runs on its own virtual clock, advanced only while an operation is awaited;
 * its steps take no simulated-cluster time, and streaming takes whatever the
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
  readonly #pending = new Set<{ done: boolean }>();
  #driver: Promise<void> | undefined;
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
  }

  /** The node's process is running again. */
  markUp(id: string): void {
    if (this.group.ids.includes(id) && this.current.nodes[id]?.state !== 'left') this.group.restart(id);
  }

  /** Stops the group's coordinators, agents and timers. */
  stop(): Promise<void> {
    return this.group.stop();
  }

  /** Keeps a zero-delay timer pending on the simulated cluster's clock while `driver` runs the group (see {@link RaftSimTopologyOptions.clock}). */
  #holdClock(driver: Promise<void>): void {
    const clock = this.#o.clock;
    if (!clock) return;
    void (async () => {
      while (this.#driver === driver) {
        const wait = this.group.streamWait;
        if (wait) await wait;
        else await clock.sleep(0);
      }
    })();
  }

  /**
   * Advances the group's virtual clock until every awaited operation settled. Concurrent callers
   * share one driver, so operations requested at once progress together.
   */
  async #drive<T>(p: Promise<T>): Promise<T> {
    const h = { done: false };
    this.#pending.add(h);
    p.then(
      () => (h.done = true),
      () => (h.done = true),
    );
    const maxMs = this.#o.maxOperationMs ?? 600_000;
    if (!this.#driver) {
      const driver = (async () => {
        try {
          const allDone = (): boolean => [...this.#pending].every((x) => x.done);
          while (!allDone()) {
            if (!(await this.group.runUntil(allDone, maxMs))) break;
          }
        } finally {
          this.#pending.clear();
          this.#driver = undefined;
        }
      })();
      this.#driver = driver;
      this.#holdClock(driver);
    }
    while (!h.done && this.#driver) await this.#driver;
    if (!h.done) throw new TopologyTimeoutError(`topology operation not finished within ${maxMs} virtual ms`);
    return p;
  }
}
