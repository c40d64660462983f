import type { FailureDetector, LocalNodeAgent, Message, TopologyNodeAgent, Transport } from '@scylla-cp/raft';
import type { RaftSimClock } from './raft-sim-clock.js';

/** What {@link RaftSimNetwork} needs to know of the group it connects. */
export interface RaftSimNetworkHost {
  /** The group's clock: deliveries and agent-call legs are timers on it. */
  readonly clock: RaftSimClock;
  /** Whether the member's process runs. */
  isAlive(id: string): boolean;
  /** Whether `id` is a member at all (others are reported alive by failure detectors). */
  isMember(id: string): boolean;
  /** Every member id. */
  members(): Iterable<string>;
  /** The running member's node agent. */
  agentOf(id: string): LocalNodeAgent | undefined;
}

/**
 * The in-process network of a `RaftSimGroup`: Raft message transports, failure detectors and
 * node-agent calls between members. Every delivery and call leg takes no simulated time (a
 * zero-delay timer on the group's clock, so it lands after the current callback); what goes to
 * or comes from a member that is down is lost. There are no partitions between running members.
 */
export class RaftSimNetwork {
  readonly #host: RaftSimNetworkHost;
  readonly #handlers = new Map<string, (m: Message) => void>();
  readonly #fdListeners = new Map<string, Set<(id: string, alive: boolean) => void>>();
  readonly #fdView = new Map<string, Map<string, boolean>>();
  readonly #deathWatches = new Map<string, Set<() => void>>();

  constructor(host: RaftSimNetworkHost) {
    this.#host = host;
  }

  /** Whether a message or call from `from` reaches `to` (both running). */
  reachable(from: string, to: string): boolean {
    return this.#host.isAlive(from) && this.#host.isAlive(to);
  }

  /** A Raft transport endpoint for one incarnation of `id` (a restart gets a new one). */
  transport(id: string): Transport {
    let open = true;
    let handler: ((m: Message) => void) | undefined;
    return {
      start: (onMessage) => {
        handler = (m) => {
          if (open) onMessage(m);
        };
        this.#handlers.set(id, handler);
      },
      send: (m) => {
        if (!open) return;
        this.#host.clock.setTimeout(() => {
          if (this.reachable(m.from, m.to)) this.#handlers.get(m.to)?.(m);
        }, 0);
      },
      close: () => {
        open = false;
        if (this.#handlers.get(id) === handler) this.#handlers.delete(id);
      },
    };
  }

  /** `observer`'s failure detector: a member is alive while both run; a non-member counts as alive. */
  failureDetector(observer: string): FailureDetector {
    let listeners = this.#fdListeners.get(observer);
    if (!listeners) this.#fdListeners.set(observer, (listeners = new Set()));
    const set = listeners;
    return {
      isAlive: (id) => (this.#host.isMember(id) ? this.reachable(observer, id) : true),
      onChange: (l) => {
        set.add(l);
        return () => set.delete(l);
      },
    };
  }

  /**
   * Tells the failure detectors what changed about `id` (it started, restarted or died): every
   * observer's view of `id`, and `id`'s own view of everyone. O(members) per change.
   */
  changed(id: string): void {
    const update = (observer: string, target: string): void => {
      let view = this.#fdView.get(observer);
      if (!view) this.#fdView.set(observer, (view = new Map()));
      const alive = this.#host.isAlive(observer) && this.#host.isAlive(target);
      if (view.get(target) === alive) return;
      view.set(target, alive);
      for (const l of [...(this.#fdListeners.get(observer) ?? [])]) l(target, alive);
    };
    for (const observer of this.#host.members()) update(observer, id);
    for (const target of this.#host.members()) update(id, target);
  }

  /** `id` died: calls it was answering fail (connection reset). */
  died(id: string): void {
    for (const onDeath of [...this.#deathWatch(id)]) onDeath();
  }

  /**
   * The agent of `to` as `from` calls it: zero delay each way. A call fails at once when `to` is
   * down (connection refused) or dies before answering (connection reset), and is lost when
   * `from` is down (nobody waits for it any more). Legs are work timers of the group's clock.
   */
  agentClient(from: string, to: string): TopologyNodeAgent {
    const call = <T>(fn: (a: LocalNodeAgent) => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const work = this.#host.clock.work;
        const reply = (settle: () => void): void => void work.setTimeout(() => this.#host.isAlive(from) && settle(), 0);
        work.setTimeout(() => {
          if (!this.#host.isAlive(from)) return;
          const target = this.#host.agentOf(to);
          if (!target) return reply(() => reject(new Error(`${to} is down: connection refused`)));
          let answered = false;
          const answer = (settle: () => void): void => {
            this.#deathWatch(to).delete(onDeath);
            if (answered) return;
            answered = true;
            reply(settle);
          };
          const onDeath = (): void => answer(() => reject(new Error(`${to} died before answering: connection reset`)));
          this.#deathWatch(to).add(onDeath);
          fn(target).then(
            (v) => answer(() => resolve(v)),
            (e: unknown) => answer(() => reject(e)),
          );
        }, 0);
      });
    return {
      barrier: (cmd) => call((a) => a.barrier(cmd)),
      barrierAndDrain: (cmd) => call((a) => a.barrierAndDrain(cmd)),
      streamRanges: (cmd) => call((a) => a.streamRanges(cmd)),
      shutdown: (cmd) => call((a) => a.shutdown(cmd)),
      cleanup: (cmd) => call((a) => a.cleanup(cmd)),
    };
  }

  #deathWatch(id: string): Set<() => void> {
    let set = this.#deathWatches.get(id);
    if (!set) this.#deathWatches.set(id, (set = new Set()));
    return set;
  }
}
