import { describe, expect, it } from 'vitest';
import { CommitStatusUnknownError, NotLeaderError, type RaftError } from '../src/index.js';
import { RaftSimCluster } from '../src/rafttest/index.js';

// A deposed leader answers its callers at once. Ticks of 10 ms, election timeout 100 ms
// (randomized up to 200 ms), proposal timeout 1 s in the simulated cluster.
const ELECTION_MS = 100;

interface Outcome {
  readonly err: RaftError | null;
  readonly at: number;
}

function cluster(seed: number, checkQuorum: boolean): { c: RaftSimCluster; leader: string; followers: string[] } {
  const c = new RaftSimCluster({ seed, nodes: ['n1', 'n2', 'n3'], voters: ['n1', 'n2', 'n3'], checkQuorum });
  c.net.faults.minDelayMs = 1;
  c.net.faults.maxDelayMs = 3;
  expect(c.runUntil(() => c.leader() !== null, 2000)).toBe(true);
  const leader = (c.leader() as NonNullable<ReturnType<RaftSimCluster['leader']>>).id;
  c.write(leader, 'k');
  c.runFor(50);
  return { c, leader, followers: c.ids.filter((id) => id !== leader) };
}

describe('a leader that loses its leadership fails its pending operations at once', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`SEED=${seed}: an isolated leader steps down within two election timeouts (check-quorum) and answers its appended proposals "outcome unknown" and its reads "not leader" then, not at the proposal timeout`, () => {
      const { c, leader, followers } = cluster(seed, true);
      c.net.partition([leader], followers);
      const cutAt = c.clock.now();
      const writes: Outcome[] = [];
      const reads: Outcome[] = [];
      for (let i = 0; i < 5; i++) c.write(leader, `k${i}`, (err) => writes.push({ err, at: c.clock.now() }));
      c.read(leader, 'k', (err) => reads.push({ err, at: c.clock.now() }));
      let steppedDownAt: number | null = null;
      c.runUntil(() => {
        if (steppedDownAt === null && c.server(leader)?.raft.currentRole !== 'leader') steppedDownAt = c.clock.now();
        return writes.length === 5 && reads.length === 1;
      }, 3 * ELECTION_MS);
      expect(steppedDownAt, 'the isolated leader stepped down').not.toBeNull();
      expect((steppedDownAt as unknown as number) - cutAt).toBeLessThanOrEqual(2 * ELECTION_MS + 10);
      expect(writes.length, 'every proposal was answered within 3 election timeouts of the cut').toBe(5);
      for (const w of writes) {
        expect(w.err).toBeInstanceOf(CommitStatusUnknownError);
        expect(w.at).toBe(steppedDownAt);
      }
      expect(reads[0]?.err).toBeInstanceOf(NotLeaderError);
      // The majority elected a leader of its own; once healed, every history is linearizable
      // (a proposal answered "unknown" may or may not have been applied).
      expect(c.runUntil(() => c.leader() !== null && c.leader()?.id !== leader, 2000)).toBe(true);
      c.net.heal();
      c.runFor(500);
      c.checkHistory();
      c.stopAll();
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`SEED=${seed}: without check-quorum, a stale leader that learns of a higher term answers its uncommitted proposals at once`, () => {
      const { c, leader, followers } = cluster(seed, false);
      c.net.partition([leader], followers);
      // The majority elects a new leader; the old one, alone, still believes it leads.
      expect(c.runUntil(() => followers.some((id) => c.server(id)?.raft.currentRole === 'leader'), 2000)).toBe(true);
      expect(c.server(leader)?.raft.currentRole).toBe('leader');
      const writes: Outcome[] = [];
      for (let i = 0; i < 5; i++) c.write(leader, `k${i}`, (err) => writes.push({ err, at: c.clock.now() }));
      c.runFor(20);
      expect(writes).toEqual([]);
      c.net.heal();
      const healedAt = c.clock.now();
      c.runUntil(() => writes.length === 5, 3 * ELECTION_MS);
      expect(writes.length, 'every proposal was answered soon after the old leader heard the new term').toBe(5);
      for (const w of writes) {
        // unknown when answered at the step-down; "dropped" when the new leader's entry at that
        // index was applied first: both say where the caller stands, neither waits
        expect(w.err === null ? 'applied' : w.err.constructor.name).toMatch(/CommitStatusUnknownError|ProposalDroppedError/);
        expect(w.at - healedAt).toBeLessThan(ELECTION_MS);
      }
      c.runFor(300);
      c.checkHistory();
      c.stopAll();
    });
  }
});
