import {
  isFinalStatus,
  outcomeOf,
  TopologyStoppedError,
  type NewNodeSpec,
  type TopologyApplyListener,
  type TopologyClient,
  type TopologyOutcome,
  type TopologyRequest,
  type TopologyRequestSpec,
  type TopologyState,
} from '@scylla-cp/raft';
import type { SimDisk } from '@scylla-cp/raft/rafttest';
import { RaftSimClock } from './raft-sim-clock.js';
import type { RaftSimGroupOptions } from './raft-sim-group-options.js';
import { RaftSimMembers, type RaftSimMember } from './raft-sim-member.js';
import { RaftSimQuiet } from './raft-sim-quiet.js';
import { RaftSimVoters } from './raft-sim-voters.js';

export type { RaftSimGroupOptions, RaftSimStream } from './raft-sim-group-options.js';
export type { RaftSimMember } from './raft-sim-member.js';

/**
 * The simulated cluster's topology group over the real Raft library: every node runs a
 * `RaftServer` (storage: a `SimDisk`, transport: an in-process network), a
 * `TopologyStateMachine`, a node agent, a fencing guard and a client; voters also run a
 * `TopologyCoordinator`, which works while its server leads (the members: `RaftSimMembers`).
 *
 * **Time.** Everything runs on the simulation's clock through a {@link RaftSimClock}. Messages
 * and disk syncs take no simulated time (they land later at the same instant, so a crash at
 * that instant can still lose an unsynced write); ticks, election timeouts and coordinator
 * delays do. While the group is quiet (a leader, every member caught up, nothing in flight, or
 * only streaming under way) its clock pauses, so heartbeats do not cost simulated hours; any
 * call into the group resumes it (`RaftSimQuiet`).
 *
 * **Crashes.** {@link kill} stops the member's server, coordinator and agent and crashes its
 * disk (unsynced writes are lost, wholly or as a torn suffix, seeded); {@link restart} starts a
 * new server from what the disk kept.
 *
 * **Voters.** The group keeps `voterCount` voters: a node that leaves the ring is removed from
 * the Raft configuration, and learners are promoted (the node finishing its join first, then
 * nodes of racks without a voter) until the count is back (`RaftSimVoters`).
 */
export class RaftSimGroup {
  /** The group's clock: the simulation's, from 0, paused while the group is quiet (see {@link RaftSimClock}). */
  readonly clock: RaftSimClock;
  readonly #o: RaftSimGroupOptions;
  readonly #members: RaftSimMembers;
  readonly #quiet: RaftSimQuiet;
  readonly #voters: RaftSimVoters;
  readonly #applyListeners = new Set<TopologyApplyListener>();
  readonly #outcomeWaits = new Set<() => void>();
  #stopped = false;

  constructor(options: RaftSimGroupOptions) {
    if (options.nodes.length === 0) throw new RangeError('RaftSimGroup: at least one founding node is required');
    const ids = options.nodes.map((n) => n.id);
    const voters = options.voters ?? ids;
    if (voters.length === 0) throw new RangeError('RaftSimGroup: at least one voter is required');
    for (const v of voters) if (!ids.includes(v)) throw new RangeError(`RaftSimGroup: voter ${v} is not a founding node`);
    this.#o = options;
    this.clock = new RaftSimClock(options.clock);
    this.#quiet = new RaftSimQuiet(this.clock, {
      stopped: () => this.#stopped,
      leaderId: () => this.leaderId,
      core: (id) => this.#members.running(id)?.server.raft,
    });
    this.#members = new RaftSimMembers({
      group: options,
      clock: this.clock,
      quiet: this.#quiet,
      stopped: () => this.#stopped,
      membership: (self) => this.#voters.membership(self),
      onApply: (c, r, state) => {
        for (const l of [...this.#applyListeners]) l(c, r, state);
      },
    });
    this.#voters = new RaftSimVoters(this.#members, this.#quiet, options.voterCount ?? voters.length);
    this.#members.found(
      voters,
      ids.filter((id) => !voters.includes(id)),
    );
    // elect the first leader at once: the cluster's first request must not wait an election timeout
    this.#members.running(voters[0]!)!.server.campaign();
    this.clock.runDue();
  }

  // ------------------------------------------------------------------ views

  /** Ids of every member (founding and added). */
  get ids(): string[] {
    return this.#members.ids;
  }

  /** The running leader with the highest term, if any (where the coordinator works). */
  get leaderId(): string | undefined {
    return this.#members.leaderId;
  }

  /** Whether the member's process is running. */
  isAlive(id: string): boolean {
    return this.#members.isAlive(id);
  }

  /** The member's parts: the running incarnation, else the last one. Throws for an unknown id. */
  node(id: string): RaftSimMember {
    const s = this.#members.slot(id);
    const m = s?.current ?? s?.last;
    if (!m) throw new RangeError(`RaftSimGroup: no member ${id}`);
    return m;
  }

  /** The Raft configuration as the leader (else the most advanced running member) sees it. */
  get conf(): { readonly voters: readonly string[]; readonly learners: readonly string[] } {
    const m = this.#members.best();
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
    const s = this.#members.slot(id);
    if (!s) throw new RangeError(`RaftSimGroup: no member ${id}`);
    return s.disk;
  }

  /** How many entries the member applied (0 while down). */
  appliedIndex(id: string): number {
    const m = this.#members.running(id);
    return m ? m.server.status().appliedIndex : 0;
  }

  /** The topology on `id`'s replica (default: the leader's, else the most advanced member's). Not a linearizable read. */
  state(id?: string): TopologyState {
    const m = id !== undefined ? this.node(id) : this.#members.best();
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
    this.#members.add(id);
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
    const id = via ?? this.leaderId ?? [...this.#members.slots()].find((s) => s.current)?.id;
    const m = id === undefined ? undefined : this.#members.running(id);
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
      for (const s of this.#members.slots()) if (s.current && !done) check(s.current.stateMachine.state);
    });
  }


  // ------------------------------------------------------------------ faults

  /** The member's process died: server, coordinator and agent stop; its disk loses what was not synced (seeded). */
  kill(id: string): void {
    if (!this.#members.crash(id)) return;
    this.#quiet.abortStreams(id, new Error(`node ${id} died during streaming`));
    this.#members.net.died(id);
    this.#members.net.changed(id);
    this.#quiet.wake();
  }

  /** Restarts a crashed member from what its disk kept. */
  restart(id: string): void {
    const s = this.#members.slot(id);
    if (!s || s.current || this.#stopped) return;
    this.#members.start(id);
    this.#quiet.wake();
  }

  /** Makes the leader `from` hand leadership to another voter; rejects when `from` does not lead. */
  async transferLeadership(from: string): Promise<void> {
    const m = this.#members.running(from);
    if (!m) throw new Error(`${from} is not running`);
    await this.#voters.conf(() => m.server.transferLeadership());
  }

  /**
   * Lets the group run (resumes its clock) and polls `done()` every tick of the simulated
   * cluster's clock, for at most `maxMs` of it; resolves with whether `done()` held.
   */
  async runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    const sim = this.#o.clock;
    const until = sim.now() + maxMs;
    this.#quiet.wake();
    while (!done()) {
      if (sim.now() >= until || this.#stopped) return false;
      await sim.sleep(this.#o.tickMs ?? 10);
    }
    return true;
  }

  /** Whether any request has not reached a final status. */
  get hasUnfinishedWork(): boolean {
    const s = this.#members.best()?.stateMachine.state;
    return s !== undefined && Object.values(s.requests).some((r) => !isFinalStatus(r.status));
  }

  /** Stops every member and the group's clock; waits on outcomes end with `TopologyStoppedError`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const abandon of [...this.#outcomeWaits]) abandon();
    this.#quiet.abortStreams(undefined, new Error('the topology group stopped'));
    const stopping = this.#members.stopAll();
    this.clock.stop();
    await stopping;
  }
}
