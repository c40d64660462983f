import type {
  RaftServer,
  ReplicatedLog,
  RoleChange,
  StreamRangesCommand,
  TopologyCommand,
  TopologyCommandResult,
} from '@scylla-cp/raft';
import type { RaftSimClock } from './raft-sim-clock.js';
import type { RaftSimStream } from './raft-sim-group-options.js';

/** What {@link RaftSimQuiet} reads of the group. */
export interface RaftSimQuietView {
  /** Whether the group stopped (a stopped group never pauses). */
  stopped(): boolean;
  /** The running leader with the highest term, if any. */
  leaderId(): string | undefined;
  /** The Raft core of a running member; undefined while it is down or unknown. */
  core(id: string): RaftServer<TopologyCommandResult>['raft'] | undefined;
}

/** Counts in-flight proposals and reads of a replica, so the group can tell when it is quiet. */
export class CountingLog implements ReplicatedLog {
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
 * What the topology group has in flight (proposals and reads, configuration changes, streams
 * running outside the group), and the pause of its clock while it is quiet: a leader, its log
 * committed and applied, every running member of the configuration on its term and caught up,
 * nothing in flight (work timers count, except while a stream runs outside the group). The
 * check runs after every wake-up of the clock; {@link wake} resumes it.
 */
export class RaftSimQuiet {
  /** In-flight proposals and reads, counted by every member's {@link CountingLog}. */
  readonly counters = { ops: 0 };
  readonly #clock: RaftSimClock;
  readonly #view: RaftSimQuietView;
  readonly #external = new Map<number, { readonly nodeId: string; readonly abort: AbortController }>();
  #externalSeq = 0;
  #confOps = 0;

  constructor(clock: RaftSimClock, view: RaftSimQuietView) {
    this.#clock = clock;
    this.#view = view;
    clock.onIdleCheck = () => this.#idleCheck();
  }

  /** Resumes the clock (a fault or a call changed what the group has to do), and looks again at once. */
  wake(): void {
    this.#clock.resume();
    // a wake-up at this instant: a group that is still quiet pauses again before its next tick
    this.#clock.setTimeout(() => {}, 0);
  }

  /** A configuration change starts: counted as in flight until {@link confChangeEnded}; wakes the clock. */
  confChangeStarted(): void {
    this.#confOps++;
    this.wake();
  }

  /** A configuration change counted by {@link confChangeStarted} ended. */
  confChangeEnded(): void {
    this.#confOps--;
  }

  /**
   * Runs `stream` for node `id` outside the group, abortable by {@link abortStreams};
   * `downReason` (the group stopped, the node is down) aborts it at once.
   */
  async streamOutside(stream: RaftSimStream, cmd: StreamRangesCommand, id: string, downReason: string | undefined): Promise<void> {
    const abort = new AbortController();
    if (downReason !== undefined) abort.abort(new Error(downReason));
    const key = ++this.#externalSeq;
    this.#external.set(key, { nodeId: id, abort });
    try {
      await stream(cmd, id, abort.signal);
    } finally {
      this.#external.delete(key);
    }
  }

  /** Aborts the streams of node `nodeId` (every stream when undefined) with `reason`. */
  abortStreams(nodeId: string | undefined, reason: Error): void {
    for (const w of this.#external.values()) if (nodeId === undefined || w.nodeId === nodeId) w.abort.abort(reason);
  }

  #idleCheck(): void {
    if (!this.#view.stopped() && this.#quiet()) this.#clock.pause();
  }

  #quiet(): boolean {
    if (this.counters.ops > 0 || this.#confOps > 0) return false;
    if (this.#clock.pendingWork > 0 && this.#external.size === 0) return false;
    const leaderId = this.#view.leaderId();
    if (leaderId === undefined) return false;
    // the cores' own fields: this runs after every wake-up, over every member
    const lc = this.#view.core(leaderId)!;
    const committed = lc.log.committed;
    if (committed !== lc.log.lastIndex() || lc.log.applied !== committed) return false;
    const conf = lc.confState();
    if (conf.votersOutgoing.length > 0) return false;
    const term = lc.currentTerm;
    for (const ids of [conf.voters, conf.learners]) {
      for (const id of ids) {
        const c = this.#view.core(id);
        if (!c) continue;
        if (c.currentTerm !== term || c.leader !== leaderId || c.log.applied !== committed) return false;
      }
    }
    return true;
  }
}
