import type { RaftPrng } from '../raft-prng.js';
import type { Clock } from '../server/clock.js';
import {
  ReplicatedLogError,
  initialTopologyState,
  TopologyStateMachine,
  type FailureDetector,
  type ReplicatedLog,
  type RoleChange,
  type TopologyCommand,
  type TopologyCommandResult,
  type InitialNode,
  type TopologyState,
} from '../topology/index.js';

/** Options of {@link VirtualRaftGroup}. Times in (virtual) milliseconds. */
export interface VirtualRaftGroupOptions {
  /** Voting members; each gets a replica. */
  readonly voters: readonly string[];
  /** Founding non-voting members; each gets a replica starting from `initialNodes` (like a voter's). @default none */
  readonly learners?: readonly string[];
  /** The topology's initial normal nodes (given to every replica). */
  readonly initialNodes: readonly InitialNode[];
  readonly clock: Clock;
  /** Source of every random choice (delays, elections, stale commits). */
  readonly prng: RaftPrng;
  /** A leader that lost its quorum steps down after this long; a new leader is elected after this (plus up to as much jitter). @default 50 */
  readonly electionTimeoutMs?: number;
  /** Replication and failure-detection period. @default 5 */
  readonly heartbeatMs?: number;
  /** Upper bound of the commit and message delay. @default 4 */
  readonly maxDelayMs?: number;
  /** Probability that a proposal of a deposed leader is committed anyway, after newer entries (an adversary stronger than Raft; the simulation uses 0.5). @default 0 */
  readonly staleCommitProbability?: number;
  /** Probability that a restarted replica is restored from the leader's snapshot instead of replaying. @default 0.5 */
  readonly snapshotOnRestartProbability?: number;
}

interface Entry {
  readonly term: number;
  readonly command: TopologyCommand;
}

class Replica {
  readonly sm: TopologyStateMachine;
  applied = 0;
  alive = true;
  leader = false;
  term = 0;
  noQuorumSince: number | undefined;
  readonly roleListeners = new Set<(c: RoleChange) => void>();
  readonly waiters = new Map<number, { resolve: (r: TopologyCommandResult) => void; reject: (e: Error) => void }>();

  constructor(
    readonly id: string,
    public voter: boolean,
    initialState: TopologyState,
  ) {
    this.sm = new TopologyStateMachine({ initialState });
  }
}

/**
 * A model of a Raft group for tests and simulation, with failover under the
 * caller's control: one committed log, per-replica apply progress, elections
 * after a leader dies or loses its quorum, partitions, and (adversarially) a
 * deposed leader's proposals committed after newer entries. It is not a
 * consensus implementation: it gives the topology module the guarantees a
 * Raft group gives (one log order, leader completeness, read barriers) and the
 * failure modes it must survive. {@link RaftServerLog} adapts the real thing.
 */
export class VirtualRaftGroup {
  readonly #o: VirtualRaftGroupOptions;
  readonly #replicas = new Map<string, Replica>();
  readonly #log: Entry[] = [];
  readonly #partition = new Map<string, number>();
  readonly #netListeners = new Set<(changed?: string) => void>();
  #term = 0;
  #leader: string | undefined;
  #leaderlessSince: number | undefined;
  #electionDelayMs = 0;
  #nextGroup = 1;
  #stopped = false;
  #configChanging = false;
  #configVersion = 0;

  readonly #initialState: TopologyState;

  constructor(options: VirtualRaftGroupOptions) {
    this.#o = options;
    this.#initialState = initialTopologyState(options.initialNodes);
    for (const id of options.voters) this.#replicas.set(id, new Replica(id, true, this.#initialState));
    for (const id of options.learners ?? []) {
      if (this.#replicas.has(id)) throw new RangeError(`VirtualRaftGroup: ${id} is both a voter and a learner`);
      this.#replicas.set(id, new Replica(id, false, this.#initialState));
    }
    this.#leaderlessSince = options.clock.now();
    this.#electionDelayMs = this.#electionTimeout();
    this.#schedule();
  }

  #electionTimeout(): number {
    const t = this.#o.electionTimeoutMs ?? 50;
    return t + this.#o.prng.int(0, t);
  }

  #delay(): number {
    return this.#o.prng.int(1, (this.#o.maxDelayMs ?? 4) + 1);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#o.clock.setTimeout(() => {
      this.#heartbeat();
      this.#schedule();
    }, this.#o.heartbeatMs ?? 5);
  }

  /** Stops the heartbeat timer (the group stays inspectable). */
  stop(): void {
    this.#stopped = true;
  }

  /** Ids of every replica (voters and learners). */
  get ids(): string[] {
    return [...this.#replicas.keys()];
  }

  /** The committed log's length. */
  get commitIndex(): number {
    return this.#log.length;
  }

  /** The current term. */
  get term(): number {
    return this.#term;
  }

  /** The leader of the current term, when it is alive and believes it leads. */
  get leaderId(): string | undefined {
    const l = this.#leader === undefined ? undefined : this.#replicas.get(this.#leader);
    return l?.alive && l.leader ? l.id : undefined;
  }

  /** Replica ids that currently believe they are leader (more than one during a partition). */
  get believedLeaders(): string[] {
    return [...this.#replicas.values()].filter((r) => r.alive && r.leader).map((r) => r.id);
  }

  /** A replica's state machine. */
  stateMachine(id: string): TopologyStateMachine {
    return this.#get(id).sm;
  }

  /** How many log entries the replica applied. */
  appliedIndex(id: string): number {
    return this.#get(id).applied;
  }

  #get(id: string): Replica {
    const r = this.#replicas.get(id);
    if (!r) throw new RangeError(`VirtualRaftGroup: no replica ${id}`);
    return r;
  }

  /** Adds a non-voting replica (a joining node); it starts from the leader's snapshot. */
  addLearner(id: string): void {
    if (this.#replicas.has(id)) return;
    const r = new Replica(id, false, this.#initialState);
    const src = [...this.#replicas.values()].reduce((a, b) => (b.applied > a.applied ? b : a));
    r.sm.restore(src.sm.snapshot());
    r.applied = src.applied;
    this.#replicas.set(id, r);
    this.#netChanged(id);
  }

  /** Ids of the current voting members. */
  get voters(): string[] {
    return [...this.#replicas.values()].filter((r) => r.voter).map((r) => r.id);
  }

  /** Whether `id` is a voting member. */
  isVoter(id: string): boolean {
    return this.#replicas.get(id)?.voter ?? false;
  }

  /** Number of configuration changes applied so far (each {@link addVoter} or {@link removeVoter} that changed something). */
  get configVersion(): number {
    return this.#configVersion;
  }

  /**
   * Makes `id` (an existing replica) a voter, proposed through `via`. See {@link removeVoter}.
   */
  addVoter(via: string, id: string): Promise<void> {
    return this.#changeConfig(via, id, true);
  }

  /**
   * Makes `id` a non-voting replica (a node that left the group: it no longer counts toward
   * the quorum nor can be elected; its replica stays inspectable), proposed through `via`.
   * Like a single-server change of a Raft configuration: `via` must be the leader of the
   * current term with a quorum of the old configuration, at most one change is in flight (a
   * second is rejected with `dropped`), and the change takes effect after a commit delay,
   * atomically for every replica. A leader removed from the voters steps down (a new leader is
   * elected among the remaining voters). Idempotent: resolves at once when nothing changes.
   */
  removeVoter(via: string, id: string): Promise<void> {
    return this.#changeConfig(via, id, false);
  }

  #changeConfig(via: string, id: string, voter: boolean): Promise<void> {
    const target = this.#get(id);
    const r = this.#get(via);
    if (target.voter === voter) return Promise.resolve();
    const what = `${voter ? 'adding' : 'removing'} voter ${id}`;
    if (!r.alive) return Promise.reject(new ReplicatedLogError('stopped', `replica ${via} is down; ${what} was not proposed`));
    if (!r.leader) return Promise.reject(new ReplicatedLogError('not_leader', `replica ${via} is not the leader; ${what} was not proposed`, this.leaderId ? { leaderHint: this.leaderId } : {}));
    if (!voter && this.voters.length <= 1) return Promise.reject(new ReplicatedLogError('dropped', `${id} is the last voter; add another voter before removing it`));
    if (this.#configChanging) return Promise.reject(new ReplicatedLogError('dropped', `another configuration change is in progress; ${what} was dropped (retry)`));
    this.#configChanging = true;
    const term = r.term;
    return new Promise((resolve, reject) => {
      this.#o.clock.setTimeout(() => {
        this.#configChanging = false;
        if (!(r.alive && r.leader && r.term === this.#term && term === r.term && this.#hasQuorum(r.id))) {
          reject(new ReplicatedLogError('dropped', `replica ${via} lost leadership or quorum; ${what} was dropped`));
          return;
        }
        if (target.voter !== voter) {
          target.voter = voter;
          this.#configVersion++;
          if (!voter && target.leader) this.#setRole(target, false);
          this.#netChanged(id);
        }
        resolve();
      }, this.#delay());
    });
  }

  /**
   * Hands leadership from `from` (the leader) to another live voter it can reach, at once (a
   * new term). Rejects with `not_leader` when `from` does not lead, and `dropped` when no other
   * voter can take over.
   */
  transferLeadership(from: string): Promise<void> {
    const r = this.#get(from);
    if (!r.alive || !r.leader || r.term !== this.#term) return Promise.reject(new ReplicatedLogError('not_leader', `replica ${from} does not lead; no leadership to transfer`));
    const candidates = [...this.#replicas.values()].filter((c) => c !== r && c.voter && this.connected(from, c.id) && this.#hasQuorum(c.id));
    if (candidates.length === 0) return Promise.reject(new ReplicatedLogError('dropped', `replica ${from} has no other live voter to hand leadership to`));
    this.elect(this.#o.prng.pick(candidates).id);
    return Promise.resolve();
  }

  /** Whether `a` and `b` can talk (both alive, same side of every partition). */
  connected(a: string, b: string): boolean {
    const ra = this.#replicas.get(a);
    const rb = this.#replicas.get(b);
    if (!ra?.alive || !rb?.alive) return false;
    return (this.#partition.get(a) ?? 0) === (this.#partition.get(b) ?? 0);
  }

  /** Whether the replica is alive. */
  isAlive(id: string): boolean {
    return this.#replicas.get(id)?.alive ?? false;
  }

  #hasQuorum(id: string): boolean {
    const voters = [...this.#replicas.values()].filter((r) => r.voter);
    const reach = voters.filter((v) => v.id === id ? v.alive : this.connected(id, v.id)).length;
    return reach * 2 > voters.length;
  }

  #setRole(r: Replica, leader: boolean): void {
    if (r.leader === leader) return;
    r.leader = leader;
    r.noQuorumSince = undefined;
    for (const l of [...r.roleListeners]) l({ leader, term: r.term });
  }

  #catchUp(r: Replica, upTo = this.#log.length): void {
    while (r.applied < upTo) {
      const e = this.#log[r.applied]!;
      r.applied++;
      const result = r.sm.apply(e.command);
      const w = r.waiters.get(r.applied);
      if (w) {
        r.waiters.delete(r.applied);
        w.resolve(result);
      }
    }
  }

  #heartbeat(): void {
    const now = this.#o.clock.now();
    for (const r of this.#replicas.values()) {
      if (!r.alive || !r.leader) continue;
      if (r.term < this.#term && this.#leader !== undefined && this.connected(r.id, this.#leader)) {
        this.#setRole(r, false);
        continue;
      }
      if (this.#hasQuorum(r.id)) r.noQuorumSince = undefined;
      else if (r.noQuorumSince === undefined) r.noQuorumSince = now;
      else if (now - r.noQuorumSince >= (this.#o.electionTimeoutMs ?? 50)) this.#setRole(r, false);
    }
    const leader = this.leaderId === undefined ? undefined : this.#replicas.get(this.leaderId);
    if (leader && this.#hasQuorum(leader.id)) {
      this.#leaderlessSince = undefined;
      for (const r of this.#replicas.values()) {
        if (r === leader || !this.connected(r.id, leader.id)) continue;
        r.term = Math.max(r.term, this.#term);
        this.#catchUp(r);
      }
      this.#catchUp(leader);
      return;
    }
    if (this.#leaderlessSince === undefined) {
      this.#leaderlessSince = now;
      this.#electionDelayMs = this.#electionTimeout();
    }
    if (now - this.#leaderlessSince < this.#electionDelayMs) return;
    const candidates = [...this.#replicas.values()].filter((r) => r.voter && r.alive && this.#hasQuorum(r.id));
    if (candidates.length === 0) return;
    this.elect(this.#o.prng.pick(candidates).id);
  }

  /**
   * Makes `id` leader of a new term now (as if it won an election). The old
   * leader keeps believing it leads until it hears of the new term or its
   * quorum check fails. Throws when `id` is dead.
   */
  elect(id: string): void {
    const r = this.#get(id);
    if (!r.alive) throw new RangeError(`VirtualRaftGroup.elect: ${id} is dead`);
    this.#term++;
    if (this.#leader !== undefined && this.#leader !== id) {
      const old = this.#replicas.get(this.#leader);
      if (old && this.connected(old.id, id)) this.#setRole(old, false);
    }
    this.#leader = id;
    this.#leaderlessSince = undefined;
    this.#catchUp(r);
    r.term = this.#term;
    if (r.leader) {
      r.leader = false;
    }
    this.#setRole(r, true);
  }

  /** Kills a replica's process: it stops leading at once and answers nothing. */
  kill(id: string): void {
    const r = this.#get(id);
    if (!r.alive) return;
    this.#setRole(r, false);
    r.alive = false;
    const waiters = [...r.waiters.values()];
    r.waiters.clear();
    for (const w of waiters) w.reject(new ReplicatedLogError('status_unknown', `replica ${id} died before applying the command`));
    this.#netChanged(id);
  }

  /** Restarts a dead replica (durable state kept, or restored from the leader's snapshot). */
  restart(id: string): void {
    const r = this.#get(id);
    if (r.alive) return;
    r.alive = true;
    const leader = this.leaderId === undefined ? undefined : this.#replicas.get(this.leaderId);
    if (leader && leader !== r && this.#o.prng.chance(this.#o.snapshotOnRestartProbability ?? 0.5)) {
      r.sm.restore(leader.sm.snapshot());
      r.applied = leader.applied;
    }
    this.#netChanged(id);
  }

  /** Cuts `id` off from every other replica. */
  isolate(id: string): void {
    this.#partition.set(id, this.#nextGroup++);
    this.#netChanged();
  }

  /** Heals every partition. */
  heal(): void {
    this.#partition.clear();
    this.#netChanged();
  }

  /**
   * Subscribes to network changes (kills, restarts, added learners, partitions). `changed` names
   * the one replica whose process changed (kill, restart, add), so that only links to it
   * changed; it is `undefined` after a partition change (any link may have changed).
   */
  onNetworkChange(listener: (changed?: string) => void): () => void {
    this.#netListeners.add(listener);
    return () => this.#netListeners.delete(listener);
  }

  #netChanged(changed?: string): void {
    for (const l of [...this.#netListeners]) l(changed);
  }

  /**
   * Delivers a call from `from` to `to` over the virtual network: after a
   * delay, runs `fn` on the target, and returns its result after another
   * delay. A call across a partition, or to or from a dead node, never answers
   * (the caller's timeout or failure detector ends it).
   */
  call<T>(from: string, to: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#o.clock.setTimeout(() => {
        if (!this.connected(from, to) && from !== to) return;
        fn().then(
          (v) => this.#o.clock.setTimeout(() => (this.connected(from, to) || from === to) && resolve(v), this.#delay()),
          (e: unknown) => this.#o.clock.setTimeout(() => (this.connected(from, to) || from === to) && reject(e), this.#delay()),
        );
      }, this.#delay());
    });
  }

  /** The failure detector of node `observer`: a node is alive when reachable from it. */
  failureDetector(observer: string): FailureDetector {
    const listeners = new Set<(nodeId: string, alive: boolean) => void>();
    const view = new Map<string, boolean>();
    const alive = (id: string): boolean => (this.#replicas.has(id) ? id === observer ? this.isAlive(id) : this.connected(observer, id) : true);
    const refresh = (changed?: string): void => {
      // a kill, restart or added replica only changes the links to that replica (all of them when it is the observer)
      for (const id of changed !== undefined && changed !== observer ? [changed] : this.#replicas.keys()) {
        const now = alive(id);
        if (view.get(id) === now) continue;
        const had = view.has(id);
        view.set(id, now);
        if (had || !now) for (const l of [...listeners]) l(id, now);
      }
    };
    this.onNetworkChange(refresh);
    refresh();
    return {
      isAlive: alive,
      onChange: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
  }

  /** The {@link ReplicatedLog} handle of one replica. Proposals on a follower are forwarded to the leader. */
  log(id: string): ReplicatedLog {
    const r = this.#get(id);
    return {
      propose: (command) => this.#propose(r, command),
      readBarrier: () => this.#readBarrier(r),
      isLeader: () => r.alive && r.leader,
      term: () => r.term,
      onRoleChange: (l) => {
        r.roleListeners.add(l);
        return () => r.roleListeners.delete(l);
      },
    };
  }

  #propose(r: Replica, command: TopologyCommand): Promise<TopologyCommandResult> {
    if (!r.alive) return Promise.reject(new ReplicatedLogError('stopped', `replica ${r.id} is down`));
    if (!r.leader) {
      const leader = this.leaderId;
      if (leader === undefined || !this.connected(r.id, leader)) {
        return Promise.reject(new ReplicatedLogError('not_leader', `replica ${r.id} is not the leader and knows no reachable leader`));
      }
      return new Promise((resolve, reject) => {
        const timer = this.#o.clock.setTimeout(
          () => reject(new ReplicatedLogError('status_unknown', `proposal forwarded from ${r.id} to ${leader} got no answer`)),
          4 * (this.#o.electionTimeoutMs ?? 50),
        );
        this.call(r.id, leader, () => this.#propose(this.#get(leader), command)).then(
          (v) => {
            timer.cancel();
            resolve(v);
          },
          (e: unknown) => {
            timer.cancel();
            reject(e);
          },
        );
      });
    }
    const term = r.term;
    return new Promise((resolve, reject) => {
      this.#o.clock.setTimeout(() => {
        if (r.alive && r.leader && r.term === this.#term && term === r.term && this.#hasQuorum(r.id)) {
          this.#log.push({ term, command });
          const index = this.#log.length;
          r.waiters.set(index, { resolve, reject });
          this.#catchUp(r);
          return;
        }
        if (this.#o.prng.chance(this.#o.staleCommitProbability ?? 0)) {
          this.#log.push({ term, command });
          reject(new ReplicatedLogError('status_unknown', `replica ${r.id} lost leadership; the command may have been applied`));
        } else {
          reject(new ReplicatedLogError('dropped', `replica ${r.id} lost leadership; the command was dropped`));
        }
      }, this.#delay());
    });
  }

  #readBarrier(r: Replica): Promise<void> {
    if (!r.alive) return Promise.reject(new ReplicatedLogError('stopped', `replica ${r.id} is down`));
    const upTo = this.#log.length;
    return new Promise((resolve, reject) => {
      this.#o.clock.setTimeout(() => {
        const leader = this.leaderId;
        const ok = r.alive && (r.leader ? r.term === this.#term && this.#hasQuorum(r.id) : leader !== undefined && this.connected(r.id, leader));
        if (!ok) {
          reject(new ReplicatedLogError(r.leader ? 'not_leader' : 'timeout', `read barrier on ${r.id} failed: no quorum or no reachable leader`));
          return;
        }
        r.term = Math.max(r.term, this.#term);
        this.#catchUp(r, Math.max(upTo, r.leader ? this.#log.length : upTo));
        resolve();
      }, 2 * this.#delay());
    });
  }
}
