import { SystemClock, type Clock } from '@scylla-cp/core';
import {
  isFinalStatus,
  TopologyTimeoutError,
  type NodeState,
  type TopologyOutcome,
  type TopologyState,
  type TransitionState,
} from '@scylla-cp/raft';
import { RaftSimGroup, type RaftSimStream } from './raft-sim-group.js';
import type { RingEntry, RingState, SimTopology } from './topology.js';

export type { RaftSimStream } from './raft-sim-group.js';

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

/** Options of {@link RaftSimTopology}. Times are milliseconds. */
export interface RaftSimTopologyOptions {
  /** The founding members (normal nodes of the topology). */
  readonly nodes: readonly RaftSimTopologyNode[];
  /** Ids of the founding members that vote in the Raft group (the others are learners). @default every founding node */
  readonly voters?: readonly string[];
  /** Seed of the group's random choices (election timeouts, what a crash loses). @default 1 */
  readonly seed?: number;
  /** Duration of one streaming call when there is no {@link stream}, in Raft time. @default 20 */
  readonly streamDelayMs?: number;
  /** Streaming on the simulated cluster's clock (the group's clock pauses while only streams run). @default a sleep of {@link streamDelayMs} */
  readonly stream?: RaftSimStream;
  /** The simulated cluster's clock: the Raft servers run on it (see `RaftSimClock`). @default a core `SystemClock` */
  readonly clock?: Clock;
  /** Tokens given to a bootstrapped node. @default 8 */
  readonly numTokens?: number;
  /**
   * A caller whose operation has not finished after this long on {@link clock} gets a
   * `TopologyTimeoutError` (the request itself stays in the group, which keeps working on it).
   * @default 600000
   */
  readonly maxOperationMs?: number;
  /** Voters the group keeps (see `RaftSimGroup`). @default the number of {@link voters} */
  readonly voterCount?: number;
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
 * A {@link SimTopology} backed by a Raft topology group among the simulated nodes: a
 * {@link RaftSimGroup} (a real `RaftServer` per node on a simulated disk and network, a
 * topology coordinator beside each voter, a node agent per node). Membership changes go
 * through topology requests ({@link leave}, {@link remove}, {@link join}, {@link replace},
 * {@link rebuild}) and the views ({@link state}, {@link ring}, ...) read the applied topology
 * state. The servers run on the simulated cluster's clock (messages and disk syncs take no
 * simulated time, elections and retries do; streaming takes what the
 * {@link RaftSimTopologyOptions.stream} hook takes).
 *
 * Raft tokens are 32-bit integers; founding tokens map to their top 32 bits (the sim's original
 * decimal text is kept for display), new tokens `t` print as `t << 32`.
 */
export class RaftSimTopology implements SimTopology {
  /** The Raft topology group. */
  readonly group: RaftSimGroup;
  readonly #o: RaftSimTopologyOptions;
  readonly #clock: Clock;
  readonly #text = new Map<number, string>();
  readonly #history: RaftTopologySnapshot[] = [];
  readonly #listeners = new Set<(s: RaftTopologySnapshot) => void>();
  readonly #waits = new Set<AbortController>();
  #stopped = false;
  #lastStateId = -1;
  #ring: { stateId: number; entries: RingEntry[] } | undefined;

  constructor(options: RaftSimTopologyOptions) {
    this.#o = options;
    this.#clock = options.clock ?? new SystemClock();
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
    this.group = new RaftSimGroup({
      nodes,
      clock: this.#clock,
      seed: options.seed ?? 1,
      streamDelayMs: options.streamDelayMs ?? 20,
      ...(options.voters ? { voters: options.voters } : {}),
      ...(options.voterCount !== undefined ? { voterCount: options.voterCount } : {}),
      ...(options.stream ? { stream: options.stream } : {}),
    });
    this.group.onApply(() => this.#record());
    this.#record();
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

  /** The topology as applied on the leader (else on the most advanced member). */
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

  /** Host-id-free id of the current group-0 leader (the node where the coordinator works), if any. */
  get leaderId(): string | undefined {
    return this.group.leaderId;
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
    return this.#wait(() => this.group.decommission(id));
  }

  /** Removes the dead node `id` through a `remove` topology request; resolves with its outcome. */
  remove(id: string): Promise<TopologyOutcome> {
    return this.#wait(() => this.group.removenode(id));
  }

  /** Bootstraps a new node through a `join` topology request; resolves with its outcome. */
  join(node: { id: string; address: string; dc: string; rack: string }): Promise<TopologyOutcome> {
    return this.#wait(() => this.group.join({ ...node, numTokens: this.#o.numTokens ?? 8 }));
  }

  /** Replaces the dead node `replacedId` by a new node through a `replace` request; resolves with its outcome. */
  replace(node: { id: string; address: string; dc: string; rack: string }, replacedId: string): Promise<TopologyOutcome> {
    return this.#wait(() => this.group.replace(node, replacedId));
  }

  /** Rebuilds `id`'s data (from `sourceDc`) through a `rebuild` topology request; resolves with its outcome. */
  rebuild(id: string, sourceDc?: string): Promise<TopologyOutcome> {
    return this.#wait(() => this.group.rebuild(id, sourceDc));
  }

  /**
   * Aborts a pending leave, remove or rebuild request through the group's leader (ScyllaDB's
   * `abort_request`: it ends `rejected` with code `aborted` and the coordinator never starts it).
   * Rejects when the request started or ended meanwhile, or is a join or replace.
   */
  async abortRequest(requestId: string): Promise<void> {
    await this.#wait(() => this.group.abort(requestId));
  }

  /** The node's process died: its Raft server crashes (its disk keeps only what was synced), coordinator and agent stop. */
  markDown(id: string): void {
    this.group.kill(id);
  }

  /** The node's process is running again: its Raft server restarts from its disk. */
  markUp(id: string): void {
    if (this.group.ids.includes(id) && this.current.nodes[id]?.state !== 'left') this.group.restart(id);
  }

  /** Whether the group holds a request that has not ended. */
  get hasUnfinishedWork(): boolean {
    return Object.values(this.current.requests).some((r) => !isFinalStatus(r.status));
  }

  /** Stops the group's servers, coordinators, agents and timers; callers still waiting get a `TopologyTimeoutError`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#waits) w.abort();
    await this.group.stop();
  }

  /**
   * Waits for one operation on the simulated cluster's clock: resolves with its outcome, or
   * throws `TopologyTimeoutError` after `maxOperationMs` (the request stays in the group).
   */
  async #wait<T>(start: () => Promise<T>): Promise<T> {
    if (this.#stopped) throw new TopologyTimeoutError('the topology group stopped before the operation started');
    const maxMs = this.#o.maxOperationMs ?? 600_000;
    const ac = new AbortController();
    this.#waits.add(ac);
    // "after more than maxMs": an operation ending at exactly maxMs (its last steps take no time) wins
    const timeout = this.#clock.sleep(maxMs + 1, ac.signal).then(
      () => 'timeout' as const,
      () => 'aborted' as const,
    );
    try {
      const op = start();
      const r = await Promise.race([op.then((v) => ({ v })), timeout]);
      if (typeof r === 'object') return r.v;
      op.catch(() => {});
      throw new TopologyTimeoutError(
        r === 'aborted'
          ? 'the topology group stopped before the operation finished'
          : `topology operation not finished within ${maxMs} ms of the simulated cluster's clock; the request stays in the topology group, which keeps working on it`,
      );
    } finally {
      ac.abort();
      this.#waits.delete(ac);
    }
  }
}
