import type { ReplicatedLog, RoleChange } from './replicated-log.js';
import type { TopologyCommand, TopologyCommandResult } from './topology-command.js';
import { ReplicatedLogError } from './topology-errors.js';
import type { TopologyStateMachine } from './topology-state-machine.js';

/**
 * A one-replica {@link ReplicatedLog}: always the leader (until {@link stepDown}),
 * applies each proposal in order on the next microtask. For unit tests and
 * single-process tools.
 */
export class InMemoryReplicatedLog implements ReplicatedLog {
  readonly #sm: TopologyStateMachine;
  readonly #listeners = new Set<(c: RoleChange) => void>();
  readonly #entries: TopologyCommand[] = [];
  #leader = true;
  #term: number;

  /** @param term the initial term. @default 1 */
  constructor(stateMachine: TopologyStateMachine, term = 1) {
    this.#sm = stateMachine;
    this.#term = term;
  }

  /** Every command applied so far, in order. */
  get entries(): readonly TopologyCommand[] {
    return this.#entries;
  }

  async propose(command: TopologyCommand): Promise<TopologyCommandResult> {
    if (!this.#leader) throw new ReplicatedLogError('not_leader', 'InMemoryReplicatedLog: stepped down');
    await Promise.resolve();
    this.#entries.push(command);
    return this.#sm.apply(command);
  }

  async readBarrier(): Promise<void> {
    await Promise.resolve();
  }

  isLeader(): boolean {
    return this.#leader;
  }

  term(): number {
    return this.#term;
  }

  onRoleChange(listener: (change: RoleChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops leading (role change to follower). */
  stepDown(): void {
    if (!this.#leader) return;
    this.#leader = false;
    for (const l of [...this.#listeners]) l({ leader: false, term: this.#term });
  }

  /** Leads again in a new term (role change to leader). */
  becomeLeader(): void {
    this.#term++;
    this.#leader = true;
    for (const l of [...this.#listeners]) l({ leader: true, term: this.#term });
  }
}
