import { describe, expect, it } from 'vitest';
import { type RaftError } from '../src/index.js';
import { RaftSimCluster } from '../src/rafttest/index.js';

describe('ReadIndex requests lost on a cut link are sent again', () => {
  it('a follower read issued while it cannot reach the leader completes soon after the link heals', () => {
    const c = new RaftSimCluster({ seed: 7, nodes: ['n1', 'n2', 'n3'], voters: ['n1', 'n2', 'n3'] });
    c.net.faults.minDelayMs = 1;
    c.net.faults.maxDelayMs = 3;
    expect(c.runUntil(() => c.leader() !== null, 2000)).toBe(true);
    const leader = (c.leader() as NonNullable<ReturnType<RaftSimCluster['leader']>>).id;
    c.write(leader, 'k');
    c.runFor(100);
    const follower = c.ids.find((id) => id !== leader) as string;
    // The follower still hears the leader (heartbeats arrive) but its messages to it are lost.
    c.net.block(follower, leader);
    let result: { err: RaftError | null; at: number } | null = null;
    c.read(follower, 'k', (err) => (result = { err, at: c.clock.now() }));
    c.runFor(60);
    expect(result).toBeNull();
    const healedAt = c.clock.now();
    c.net.heal();
    c.runUntil(() => result !== null, 2000);
    expect(result).not.toBeNull();
    const r = result as unknown as { err: RaftError | null; at: number };
    expect(r.err).toBeNull();
    // resent within half an election timeout (50 ms here), answered within a few delays
    expect(r.at - healedAt).toBeLessThan(100);
    c.stopAll();
  });
});
