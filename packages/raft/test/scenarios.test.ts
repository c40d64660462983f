import { describe, expect, it } from 'vitest';
import { type Message } from '../src/index.js';
import { RaftSimCluster } from '../src/rafttest/index.js';
import { CoreNet } from './helpers/core-net.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const isVoteTraffic = (m: Message): boolean => m.type === 'vote' || m.type === 'voteResp';

describe('scenario: figure 8 (commit only by counting replicas of current-term entries)', () => {
  it('an old-term entry stored on a majority is not committed, and may be overwritten', () => {
    const net = new CoreNet(['s1', 's2', 's3', 's4', 's5'], { maxSizePerMsgBytes: 1 });
    const among = (...ids: string[]) => (m: Message) => ids.includes(m.from) && ids.includes(m.to);
    // (a) s1 leads term 2; its entry x (index 3, term 2) reaches s2 only.
    net.elect('s1');
    expect(net.core('s1').currentRole).toBe('leader');
    expect(net.core('s1').log.committed).toBe(2);
    net.core('s1').propose(enc('x'));
    net.flush();
    net.deliver(among('s1', 's2'));
    expect(net.core('s2').log.term(3)).toBe(2);
    net.crash('s1');
    // (b) s5 wins term 3 with s3, s4 and appends index 3 of term 3 locally only.
    net.core('s5').campaign();
    net.flush();
    net.deliver((m) => isVoteTraffic(m) && among('s3', 's4', 's5')(m));
    expect(net.core('s5').currentRole).toBe('leader');
    expect(net.core('s5').currentTerm).toBe(3);
    net.queue = [];
    net.crash('s5');
    // (c) s1 restarts and wins term 4 (after a failed term-3 attempt); it copies x to s3.
    net.start('s1');
    for (let attempt = 0; attempt < 3 && net.core('s1').currentRole !== 'leader'; attempt++) {
      net.core('s1').campaign();
      net.flush();
      net.deliver((m) => isVoteTraffic(m) && among('s1', 's2', 's3', 's4')(m));
    }
    expect(net.core('s1').currentRole).toBe('leader');
    expect(net.core('s1').currentTerm).toBe(4);
    net.tick('s1');
    // s3 may get index 3 only; s2 gets everything; s4 nothing.
    net.deliver((m) => {
      if (!among('s1', 's2', 's3')(m)) return false;
      if (m.to === 's3' && m.type === 'append') {
        // probes that s3 will reject pass; entries of term 4 do not reach s3
        return (m.index ?? 0) > net.core('s3').log.lastIndex() || (m.entries ?? []).every((e) => e.term !== 4);
      }
      return true;
    });
    expect(net.core('s3').log.term(3)).toBe(2); // x is now on s1, s2, s3: a majority
    expect(net.core('s1').progressOf('s3')?.match).toBe(3);
    // ...but it is from term 2, so s1 must not commit it.
    expect(net.core('s1').log.committed).toBe(2);
    // (d) s1 crashes; s5 wins term 5 with s3, s4 and overwrites x.
    net.crash('s1');
    net.start('s5');
    for (let attempt = 0; attempt < 3 && net.core('s5').currentRole !== 'leader'; attempt++) {
      net.core('s5').campaign();
      net.flush();
      net.deliver((m) => isVoteTraffic(m) && among('s2', 's3', 's4', 's5')(m));
    }
    expect(net.core('s5').currentRole).toBe('leader');
    net.tick('s5');
    net.deliver(among('s2', 's3', 's4', 's5'));
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(net.core(id).log.term(3)).toBe(3);
      expect(net.core(id).log.committed).toBe(net.core('s5').log.lastIndex());
    }
  });
});

function cluster(seed: number, extra: Partial<ConstructorParameters<typeof RaftSimCluster>[0]> = {}): RaftSimCluster {
  return new RaftSimCluster({ seed, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'], voters: ['n1', 'n2', 'n3', 'n4', 'n5'], ...extra });
}

function awaitLeader(c: RaftSimCluster, exclude: string[] = []): string {
  const ok = c.runUntil(() => {
    const l = c.leader();
    return l !== null && !exclude.includes(l.id) && l.raft.log.term(l.raft.log.committed) === l.raft.currentTerm;
  }, 5000);
  expect(ok).toBe(true);
  return (c.leader() as NonNullable<ReturnType<RaftSimCluster['leader']>>).id;
}

describe('scenario: partitioned leader', () => {
  it('the majority elects a new leader, the old one cannot commit, and its entries are discarded on heal', () => {
    const c = cluster(11);
    const old = awaitLeader(c);
    const others = c.ids.filter((id) => id !== old);
    c.net.partition([old], others);
    const outcomes: (string | null)[] = [];
    c.write(old, 'k', (err) => outcomes.push(err ? err.name : 'ok'));
    const fresh = awaitLeader(c, [old]);
    expect(c.server(fresh)?.raft.currentTerm).toBeGreaterThan(c.server(old)?.raft.currentTerm ?? 0);
    let acked = false;
    c.write(fresh, 'k', (err) => (acked = err === null));
    expect(c.runUntil(() => acked, 2000)).toBe(true);
    expect(outcomes).toEqual([]); // the isolated leader's write is still pending, not acknowledged
    // with check quorum the old leader steps down on its own
    expect(c.runUntil(() => c.server(old)?.raft.currentRole !== 'leader', 1000)).toBe(true);
    c.net.heal();
    expect(c.runUntil(() => outcomes.length > 0, 3000)).toBe(true);
    expect(outcomes[0]).not.toBe('ok');
    c.runFor(500);
    const leaderLog = c.server(fresh)?.raft.log;
    expect(c.server(old)?.raft.log.lastIndex()).toBe(leaderLog?.lastIndex());
    let read: string | null | undefined;
    c.read(old, 'k', (err, v) => (read = err ? undefined : v));
    expect(c.runUntil(() => read !== undefined, 2000)).toBe(true);
    c.checkHistory();
    c.stopAll();
  });
});

describe('scenario: lagging follower catches up by snapshot', () => {
  it('a follower that was down while the log was compacted receives InstallSnapshot', () => {
    const c = new RaftSimCluster({ seed: 5, nodes: ['n1', 'n2', 'n3'], voters: ['n1', 'n2', 'n3'], snapshotThresholdEntries: 10 });
    const l = awaitLeader(c);
    const lagger = c.ids.find((id) => id !== l) as string;
    c.crash(lagger);
    let acked = 0;
    const writeMany = (n: number): void => {
      if (n === 0) return;
      c.write(l, `k${n % 3}`, (err) => {
        if (!err) acked++;
        writeMany(n - 1);
      });
    };
    writeMany(40);
    expect(c.runUntil(() => acked === 40, 5000)).toBe(true);
    expect(c.storage(l).load().offset).toBeGreaterThan(1); // the leader compacted its log
    c.start(lagger);
    expect(c.runUntil(() => (c.server(lagger)?.status().appliedIndex ?? 0) >= (c.server(l)?.status().appliedIndex ?? 0), 3000)).toBe(true);
    expect(c.net.deliveredByType.get('snapshot') ?? 0).toBeGreaterThan(0);
    expect(c.storage(lagger).load().snapshot?.index ?? 0).toBeGreaterThan(0);
    expect([...(c.stateMachine(lagger)?.map ?? [])]).toEqual([...(c.stateMachine(l)?.map ?? [])]);
    c.checkHistory();
    c.stopAll();
  });
});

describe('scenario: membership change during a partition', () => {
  it('joint consensus completes with a minority cut off; the cut-off member learns the result on heal', () => {
    const c = new RaftSimCluster({ seed: 3, nodes: ['n1', 'n2', 'n3', 'n4', 'n5'], voters: ['n1', 'n2', 'n3'] });
    const l = awaitLeader(c);
    const cut = ['n1', 'n2', 'n3'].find((id) => id !== l) as string;
    c.net.partition([cut], c.ids.filter((id) => id !== cut));
    let done: string | null = null;
    c.server(l)?.changeMembershipWith(
      [
        { type: 'addVoter', node: 'n4' },
        { type: 'addVoter', node: 'n5' },
      ],
      (err) => (done = err ? err.name : 'ok'),
    );
    expect(c.runUntil(() => done !== null, 3000)).toBe(true);
    expect(done).toBe('ok');
    expect(c.server(l)?.raft.confState()).toEqual({ voters: ['n1', 'n2', 'n3', 'n4', 'n5'], votersOutgoing: [], learners: [] });
    // a second change while none is pending is accepted; two at once are not
    let second: string | null = null;
    let third: string | null = null;
    c.server(l)?.changeMembershipWith([{ type: 'remove', node: cut }], (err) => (second = err ? err.name : 'ok'));
    c.server(l)?.changeMembershipWith([{ type: 'addLearner', node: 'x' }], (err) => (third = err ? err.name : 'ok'));
    expect(third).toBe('ConfChangeInProgressError');
    expect(c.runUntil(() => second !== null, 3000)).toBe(true);
    expect(second).toBe('ok');
    c.net.heal();
    c.runFor(1000);
    // the removed member never disrupts the cluster and every live member agrees on the config
    const conf = c.server(l)?.raft.confState();
    for (const id of ['n1', 'n2', 'n3', 'n4', 'n5'].filter((x) => x !== cut)) expect(c.server(id)?.raft.confState()).toEqual(conf);
    expect(c.leader()?.raft.confState().voters).not.toContain(cut);
    let acked = false;
    c.write(c.leader()?.id as string, 'k', (err) => (acked = err === null));
    expect(c.runUntil(() => acked, 2000)).toBe(true);
    c.checkHistory();
    c.stopAll();
  });

  it('a leader partitioned in the middle of a change: the majority side settles on one configuration', () => {
    const c = new RaftSimCluster({ seed: 9, nodes: ['n1', 'n2', 'n3', 'n4'], voters: ['n1', 'n2', 'n3'] });
    const l = awaitLeader(c);
    c.server(l)?.changeMembershipWith([{ type: 'addVoter', node: 'n4' }], () => {});
    c.runFor(3); // the entry may or may not have left the leader
    c.net.partition([l], c.ids.filter((id) => id !== l));
    const fresh = awaitLeader(c, [l]);
    c.runFor(1000);
    c.net.heal();
    c.runFor(2000);
    const conf = c.leader()?.raft.confState();
    expect(conf?.votersOutgoing).toEqual([]);
    expect(c.server(fresh)?.raft.currentTerm).toBeGreaterThan(1);
    // every member (including the old leader) converged on the same configuration
    for (const id of [...(conf?.voters ?? []), ...(conf?.learners ?? [])]) expect(c.server(id)?.raft.confState()).toEqual(conf);
    expect(c.server(l)?.raft.confState()).toEqual(conf);
    c.stopAll();
  });
});
