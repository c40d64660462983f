import { describe, expect, it } from 'vitest';
import { NotLeaderError, RaftServerLog, ReplicatedLogError, type RaftServer, type TopologyCommand, type TopologyCommandResult } from '../../src/index.js';

/** A follower whose leader hint is `hint`: every proposal is refused with NotLeaderError(hint). */
function follower(id: string, hint: string): RaftServer<TopologyCommandResult> {
  return { id, propose: () => Promise.reject(new NotLeaderError(hint)) } as unknown as RaftServer<TopologyCommandResult>;
}

describe('RaftServerLog forwarding', () => {
  it('forwards a proposal at most once: two followers whose stale hints point at each other answer not_leader instead of passing it back and forth', async () => {
    // The topology simulation over RaftServer hung at SEED=865 this way: a and b each
    // believed the other led, the proposal bounced between them on the microtask queue,
    // no timer ran again and memory grew by gigabytes. The hop counter stops the old code
    // after 1,000 hops so that this test fails instead of hanging.
    let hops = 0;
    const logs = new Map<string, RaftServerLog>();
    const forward = (leader: string, command: TopologyCommand): Promise<TopologyCommandResult> => {
      if (++hops > 1000) return Promise.reject(new Error(`forwarded ${hops} times`));
      return logs.get(leader)!.propose(command);
    };
    logs.set('a', new RaftServerLog(follower('a', 'b'), { forward }));
    logs.set('b', new RaftServerLog(follower('b', 'a'), { forward }));
    const command: TopologyCommand = { type: 'fence_coordinator', term: 3 };
    const err = await logs.get('a')!.propose(command).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicatedLogError);
    expect((err as ReplicatedLogError).reason).toBe('not_leader');
    expect((err as ReplicatedLogError).leaderHint).toBe('a');
    expect(hops).toBe(1);
    // the caller's command is not marked: proposing it again forwards it (once) again
    await logs.get('a')!.propose(command).catch(() => undefined);
    expect(hops).toBe(2);
  });

  it('a forwarded proposal reaches the leader with the same content', async () => {
    const seen: TopologyCommand[] = [];
    const leader = { id: 'b', propose: (data: Uint8Array) => (seen.push(JSON.parse(new TextDecoder().decode(data)) as TopologyCommand), Promise.resolve({ ok: true, stateId: 'x', version: 1 })) } as unknown as RaftServer<TopologyCommandResult>;
    const b = new RaftServerLog(leader);
    const a = new RaftServerLog(follower('a', 'b'), { forward: (_l, c) => b.propose(c) });
    const command: TopologyCommand = { type: 'fence_coordinator', term: 7 };
    await expect(a.propose(command)).resolves.toMatchObject({ ok: true });
    expect(seen).toEqual([command]);
  });
});
