import type { TopologyMembership, TopologyNode } from '@scylla-cp/raft';
import type { RaftSimMembers } from './raft-sim-member.js';
import type { RaftSimQuiet } from './raft-sim-quiet.js';

/**
 * The topology group's Raft configuration: voters and learners. Changes run one at a time
 * (Raft allows one in progress), counted as in flight. The group keeps `voterCount` voters: a
 * node that leaves the ring is removed from the configuration, and running learners are
 * promoted (the node finishing its join first, then normal nodes of racks without a voter, then
 * other normal nodes by id) until the count is back.
 */
export class RaftSimVoters {
  readonly #members: RaftSimMembers;
  readonly #quiet: RaftSimQuiet;
  readonly #voterCount: number;
  #chain: Promise<void> = Promise.resolve();

  constructor(members: RaftSimMembers, quiet: RaftSimQuiet, voterCount: number) {
    this.#members = members;
    this.#quiet = quiet;
    this.#voterCount = voterCount;
  }

  /** Runs a configuration change after the ones before it, counted as in flight. */
  conf<T>(fn: () => Promise<T>): Promise<T> {
    this.#quiet.confChangeStarted();
    const run = this.#chain.then(fn);
    this.#chain = run.then(
      () => {},
      () => {},
    );
    return run.finally(() => {
      this.#quiet.confChangeEnded();
    });
  }

  /** The membership changes the coordinator on `self` asks for (it runs them through `self`'s server). */
  membership(self: string): TopologyMembership {
    const members = this.#members;
    return {
      addNonVoter: (node: TopologyNode) =>
        this.conf(async () => {
          members.add(node.id);
          const server = members.server(self);
          const c = server.status().conf;
          if (c.learners.includes(node.id) || c.voters.includes(node.id)) return;
          await server.addLearner(node.id);
        }),
      promoteToVoter: (id) => this.conf(() => this.#topUp(self, id)),
      remove: (id) =>
        this.conf(async () => {
          const server = members.server(self);
          const c = server.status().conf;
          if (c.voters.includes(id) || c.learners.includes(id)) {
            // the last voter (a one-voter group replacing its voter) hands over first
            if (c.voters.includes(id) && c.voters.length <= 1) await this.#topUp(self, members.running(self)!.stateMachine.state.transition?.nodeId, 2);
            await server.removeMember(id);
          }
          await this.#topUp(self);
        }),
      stepDown: (candidates) =>
        this.conf(async () => {
          const server = members.server(self);
          const c = server.status().conf;
          const others = c.voters.filter((v) => v !== self && members.isAlive(v));
          if (others.length === 0) {
            const next = candidates.find((id) => !c.voters.includes(id) && members.isAlive(id));
            if (next === undefined) throw new Error(`${self} is leaving and no other live normal node can take over the topology group`);
            if (!c.learners.includes(next)) await server.addLearner(next);
            members.ensureCoordinator(next);
            await server.addVoter(next);
          }
          await server.transferLeadership();
        }),
    };
  }

  /**
   * Promotes running learners until the configuration has `target` voters: `prefer` first (a
   * node finishing its join), then normal nodes of racks without a voter, then other normal
   * nodes (by id).
   */
  async #topUp(self: string, prefer?: string, target = this.#voterCount): Promise<void> {
    const members = this.#members;
    for (;;) {
      const server = members.server(self);
      const conf = server.status().conf;
      if (conf.voters.length >= target) return;
      const s = members.running(self)!.stateMachine.state;
      const rackOf = (id: string): string | undefined => {
        const n = s.nodes[id];
        return n ? `${n.dc}/${n.rack}` : undefined;
      };
      const voterRacks = new Set(conf.voters.filter((v) => members.isAlive(v)).map(rackOf));
      const eligible = conf.learners.filter((id) => {
        if (!members.isAlive(id) || members.slot(id)?.shutDown) return false;
        const st = s.nodes[id]?.state;
        return st === 'normal' || (id === prefer && (st === 'bootstrapping' || st === 'replacing'));
      });
      if (eligible.length === 0) return;
      eligible.sort((a, b) => (a === prefer ? -1 : b === prefer ? 1 : 0) || Number(voterRacks.has(rackOf(a))) - Number(voterRacks.has(rackOf(b))) || (a < b ? -1 : a > b ? 1 : 0));
      const next = eligible[0]!;
      members.ensureCoordinator(next);
      await server.addVoter(next);
    }
  }
}
