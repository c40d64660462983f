import { describe, expect, it } from 'vitest';
import {
  ConfChangeInProgressError,
  InvalidConfChangeError,
  NotLeaderError,
  RaftLog,
  applyConfChange,
  bootstrapState,
  majorityCommitted,
  JointQuorum,
  RaftCore,
  type Message,
} from '../src/index.js';
import { CoreNet } from './helpers/core-net.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('quorum', () => {
  it('majority committed index is the median of matches', () => {
    expect(majorityCommitted(new Set(['a', 'b', 'c']), (id) => ({ a: 5, b: 3, c: 1 })[id] as number)).toBe(3);
    expect(majorityCommitted(new Set(['a', 'b', 'c', 'd']), (id) => ({ a: 5, b: 4, c: 2, d: 1 })[id] as number)).toBe(2);
  });
  it('joint quorum needs both majorities', () => {
    const q = new JointQuorum(new Set(['a', 'b', 'c']), new Set(['c', 'd', 'e']));
    const m: Record<string, number> = { a: 9, b: 9, c: 1, d: 1, e: 1 };
    expect(q.committedIndex((id) => m[id] as number)).toBe(1);
    expect(q.voteResult(new Map([['a', true], ['b', true]]))).toBe('pending');
    expect(q.voteResult(new Map([['a', true], ['b', true], ['d', true], ['e', true]]))).toBe('won');
    expect(q.voteResult(new Map([['d', false], ['e', false]]))).toBe('lost');
  });
});

describe('log', () => {
  it('fast backtracking hint: largest index with term <= the leader term', () => {
    const ents = [1, 1, 2, 2, 2, 4, 4].map((term, i) => ({ index: i + 1, term, type: 'normal' as const, data: enc('') }));
    const log = new RaftLog(0, 0, ents, null, 0);
    expect(log.findConflictByTerm(7, 3)).toBe(5);
    expect(log.findConflictByTerm(7, 1)).toBe(2);
    expect(log.findConflictByTerm(3, 5)).toBe(3);
  });
  it('maybeAppend truncates a conflicting uncommitted suffix', () => {
    const ents = [1, 1, 2].map((term, i) => ({ index: i + 1, term, type: 'normal' as const, data: enc('') }));
    const log = new RaftLog(0, 0, ents, null, 1);
    expect(log.maybeAppend(1, 1, [{ index: 2, term: 3, type: 'normal', data: enc('x') }])).toBe(2);
    expect(log.lastIndex()).toBe(2);
    expect(log.term(2)).toBe(3);
    expect(log.maybeAppend(2, 2, [])).toBeNull();
  });
});

describe('confchange', () => {
  const base = { voters: ['a', 'b', 'c'], votersOutgoing: [], learners: [] };
  it('enters joint consensus when voters change and not for learner-only changes', () => {
    const j = applyConfChange(base, { steps: [{ type: 'addVoter', node: 'd' }] });
    expect(j.votersOutgoing).toEqual(['a', 'b', 'c']);
    expect(j.voters).toEqual(['a', 'b', 'c', 'd']);
    const l = applyConfChange(base, { steps: [{ type: 'addLearner', node: 'd' }] });
    expect(l.votersOutgoing).toEqual([]);
    expect(l.learners).toEqual(['d']);
    expect(applyConfChange(j, { steps: [] }).votersOutgoing).toEqual([]);
  });
  it('rejects invalid changes with a clear error', () => {
    expect(() => applyConfChange(base, { steps: [{ type: 'addLearner', node: 'a' }] })).toThrow(InvalidConfChangeError);
    expect(() => applyConfChange({ voters: ['a'], votersOutgoing: [], learners: [] }, { steps: [{ type: 'remove', node: 'a' }] })).toThrow(
      /at least one voter/,
    );
  });
});

describe('core: election', () => {
  it('a single voter elects itself on its election timeout and commits its no-op', () => {
    const c = new RaftCore({ id: 'a', seed: 1 }, bootstrapState(['a']));
    for (let i = 0; i < 20 && c.currentRole !== 'leader'; i++) c.tick();
    expect(c.currentRole).toBe('leader');
    // the leader's own entries count only once persisted (after advance)
    expect(c.log.committed).toBe(1);
    c.advance(c.ready());
    expect(c.log.committed).toBe(2);
    const pos = c.propose(enc('x'));
    expect(c.log.committed).toBe(2);
    c.advance(c.ready());
    expect(c.log.committed).toBe(pos.index);
  });

  it('randomized election timeouts come from the seed (deterministic)', () => {
    const ticksToCampaign = (seed: number): number => {
      const c = new RaftCore({ id: 'a', seed, preVote: false }, bootstrapState(['a', 'b', 'c']));
      let n = 0;
      while (c.currentRole === 'follower') {
        c.tick();
        n++;
      }
      return n;
    };
    expect(ticksToCampaign(7)).toBe(ticksToCampaign(7));
    const all = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(ticksToCampaign));
    expect(all.size).toBeGreaterThan(1);
    for (const t of all) expect(t >= 10 && t < 20).toBe(true);
  });

  it('votes only for candidates whose log is at least as up to date', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    net.core('a').propose(enc('x'));
    net.flush();
    net.deliver((m) => m.to !== 'c' && m.from !== 'c');
    // c missed the entry; it must not win an election against a and b.
    net.core('c').campaign();
    net.flush();
    net.deliver();
    expect(net.core('c').currentRole).not.toBe('leader');
  });

  it('pre-vote: a partitioned member does not inflate its term', () => {
    const net = new CoreNet(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
    net.elect('a');
    const termBefore = net.core('c').currentTerm;
    for (let i = 0; i < 100; i++) net.tick('c');
    net.deliver((m) => m.from !== 'c' && m.to !== 'c'); // c is cut off
    expect(net.core('c').currentTerm).toBe(termBefore);
    // after healing, the leader is not disrupted
    net.tick('a');
    net.deliver();
    expect(net.core('a').currentRole).toBe('leader');
  });

  it('check quorum: a leader that cannot hear a quorum steps down', () => {
    const net = new CoreNet(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    expect(net.core('a').currentRole).toBe('leader');
    for (let i = 0; i < 25; i++) {
      net.tick('a');
      net.queue = []; // everything lost
    }
    expect(net.core('a').currentRole).toBe('follower');
  });

  it('followers with a live leader ignore vote requests (check quorum lease)', () => {
    const net = new CoreNet(['a', 'b', 'c'], { checkQuorum: true });
    net.elect('a');
    const before = net.core('b').currentTerm;
    net.core('b').step({ type: 'vote', from: 'c', to: 'b', term: before + 5, index: 99, logTerm: 99 });
    expect(net.core('b').currentTerm).toBe(before);
  });
});

describe('core: replication', () => {
  it('proposals on a follower are rejected with the leader hint', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    let err: unknown;
    try {
      net.core('b').propose(enc('x'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leader).toBe('a');
  });

  it('fast backtracking repairs a long divergent follower log in few round trips', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('b');
    // b appends 50 entries nobody else sees
    for (let i = 0; i < 50; i++) net.core('b').propose(enc(`lost${i}`));
    net.flush();
    net.queue = [];
    net.crash('b');
    net.elect('a', ['a', 'c']);
    for (let i = 0; i < 50; i++) net.core('a').propose(enc(`kept${i}`));
    net.flush();
    net.deliver((m) => m.to !== 'b');
    net.start('b');
    let appendRejects = 0;
    net.tick('a');
    net.deliver((m) => {
      if (m.type === 'appendResp' && m.reject) appendRejects++;
      return true;
    });
    expect(net.core('b').log.lastIndex()).toBe(net.core('a').log.lastIndex());
    expect(net.core('b').log.term(net.core('b').log.lastIndex())).toBe(net.core('a').currentTerm);
    expect(appendRejects).toBeLessThanOrEqual(3);
  });

  it('flow control: bounded in-flight appends and a byte limit per message', () => {
    const net = new CoreNet(['a', 'b'], { maxInflightMsgs: 2, maxSizePerMsgBytes: 100 });
    net.elect('a');
    net.tick('a');
    net.deliver();
    for (let i = 0; i < 10; i++) net.core('a').propose(enc('x'.repeat(60)));
    net.flush();
    const appends = net.queue.filter((m) => m.type === 'append' && (m.entries?.length ?? 0) > 0);
    expect(appends.length).toBe(2);
    for (const m of appends) expect(m.entries?.length).toBe(1);
    net.deliver();
    expect(net.core('b').log.lastIndex()).toBe(net.core('a').log.lastIndex());
  });

  it('batches proposals passed together into one append per follower', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    net.tick('a');
    net.deliver();
    net.core('a').propose([enc('1'), enc('2'), enc('3')]);
    net.flush();
    const appends = net.queue.filter((m) => m.type === 'append' && m.to === 'b');
    expect(appends.length).toBe(1);
    expect(appends[0]?.entries?.map((e) => dec(e.data))).toEqual(['1', '2', '3']);
  });
});

describe('core: membership', () => {
  it('one change at a time, joint consensus left automatically, learner promotion', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    net.tick('a');
    net.deliver();
    const a = net.core('a');
    a.proposeConfChange({ steps: [{ type: 'addLearner', node: 'd' }] });
    expect(() => a.proposeConfChange({ steps: [{ type: 'addLearner', node: 'e' }] })).toThrow(ConfChangeInProgressError);
    net.flush();
    net.deliver();
    expect(a.confState().learners).toEqual(['d']);
    a.proposeConfChange({ steps: [{ type: 'addVoter', node: 'd' }] });
    net.flush();
    net.deliver();
    net.tick('a');
    net.deliver();
    expect(a.confState()).toEqual({ voters: ['a', 'b', 'c', 'd'], votersOutgoing: [], learners: [] });
    expect(net.core('b').confState().voters).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a removed leader steps down once the change commits', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    net.tick('a');
    net.deliver();
    net.core('a').proposeConfChange({ steps: [{ type: 'remove', node: 'a' }] });
    net.flush();
    net.deliver();
    expect(net.core('a').currentRole).toBe('follower');
    expect(net.core('a').isVoter()).toBe(false);
    expect(net.core('b').confState().voters).toEqual(['b', 'c']);
  });
});

describe('core: leadership transfer and reads', () => {
  it('transfers leadership to an up-to-date follower', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    net.core('a').propose(enc('x'));
    net.flush();
    net.deliver();
    net.core('a').transferLeadership('c');
    net.flush();
    net.deliver();
    expect(net.core('c').currentRole).toBe('leader');
    expect(net.core('a').currentRole).toBe('follower');
  });

  it('ReadIndex needs a quorum heartbeat round and works from a follower', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.elect('a');
    net.tick('a');
    net.deliver();
    const commit = net.core('a').log.committed;
    net.core('b').readIndex('r1');
    net.flush();
    // the leader cannot confirm its leadership without heartbeat responses: no answer
    net.deliver((m: Message) => m.type !== 'heartbeatResp');
    expect(net.reads.get('b')).toBeUndefined();
    net.core('b').readIndex('r2');
    net.flush();
    net.deliver();
    expect(net.reads.get('b')?.map((r) => r.context)).toContain('r2');
    expect(net.reads.get('b')?.find((r) => r.context === 'r2')?.index).toBe(commit);
  });

  it('a leader answers ReadIndex only after committing an entry of its term', () => {
    const net = new CoreNet(['a', 'b', 'c']);
    net.core('a').campaign();
    net.flush();
    // deliver votes but hold back the no-op's acknowledgements
    net.deliver((m) => m.type !== 'appendResp');
    expect(net.core('a').currentRole).toBe('leader');
    net.core('a').readIndex('early');
    net.flush();
    net.deliver((m) => m.type !== 'appendResp');
    expect(net.reads.get('a')).toBeUndefined();
    net.tick('a');
    net.deliver();
    expect(net.reads.get('a')?.[0]?.context).toBe('early');
  });
});
