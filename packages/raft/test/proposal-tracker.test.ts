import { describe, expect, it } from 'vitest';
import type { Entry } from '../src/core/messages.js';
import type { RaftCore } from '../src/core/raft-core.js';
import type { Role } from '../src/core/ready.js';
import { CommitStatusUnknownError, NotLeaderError, ProposalDroppedError, type RaftError } from '../src/index.js';
import { ProposalTracker } from '../src/server/proposal-tracker.js';

/** The part of RaftCore the tracker reads, with settable role, term and commit index. */
function fakeCore(): { core: RaftCore; set(role: Role, term: number, committed: number): void; nextIndex: number } {
  const state = { role: 'leader' as Role, term: 2, committed: 0, nextIndex: 5 };
  const core = {
    get currentRole() {
      return state.role;
    },
    get currentTerm() {
      return state.term;
    },
    log: {
      get committed() {
        return state.committed;
      },
    },
    propose(data: readonly Uint8Array[]) {
      const index = state.nextIndex;
      state.nextIndex += data.length;
      return { index, lastIndex: state.nextIndex - 1, term: state.term };
    },
    confState: () => ({ voters: ['n1'], votersOutgoing: [], learners: [] }),
  } as unknown as RaftCore;
  return {
    core,
    set(role, term, committed) {
      state.role = role;
      state.term = term;
      state.committed = committed;
    },
    get nextIndex() {
      return state.nextIndex;
    },
  };
}

const entry = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array([1]) });

describe('ProposalTracker: what a caller is told when the leadership is lost', () => {
  it('appended but not known committed: unknown at once; known committed: answered when applied; never appended: not leader', () => {
    const f = fakeCore();
    const t = new ProposalTracker('n1', 10_000);
    const answers = new Map<string, { err: RaftError | null; result?: unknown }>();
    for (const k of ['a', 'b', 'c']) t.buffer(new Uint8Array([1]), (err, result) => answers.set(k, { err, result }));
    t.flush(f.core, 0); // a@5, b@6, c@7, term 2
    t.buffer(new Uint8Array([1]), (err) => answers.set('d', { err })); // not flushed yet

    // still leader of the same term: nothing is answered
    f.set('leader', 2, 5);
    t.failLost(f.core);
    expect(answers.size).toBe(0);

    // deposed with index 6 known committed
    f.set('follower', 3, 6);
    t.rejectBuffered('n2');
    t.failLost(f.core);
    expect(answers.get('d')?.err).toBeInstanceOf(NotLeaderError);
    expect(answers.get('c')?.err).toBeInstanceOf(CommitStatusUnknownError);
    expect(answers.has('a')).toBe(false);
    expect(answers.has('b')).toBe(false);

    // the committed ones are answered when applied: ours at 5, another term's entry at 6
    t.onApplied(f.core, entry(5, 2), 'ok-a', null);
    t.onApplied(f.core, entry(6, 3), 'other', null);
    expect(answers.get('a')).toEqual({ err: null, result: 'ok-a' });
    expect(answers.get('b')?.err).toBeInstanceOf(ProposalDroppedError);
    // c was answered once only, even when its index is applied later
    t.onApplied(f.core, entry(7, 2), 'late', null);
    expect(answers.get('c')?.err).toBeInstanceOf(CommitStatusUnknownError);
  });

  it('a leader again in a later term answers the proposals of its earlier term "unknown"', () => {
    const f = fakeCore();
    const t = new ProposalTracker('n1', 10_000);
    let old: RaftError | null | undefined;
    t.buffer(new Uint8Array([1]), (err) => (old = err));
    t.flush(f.core, 0); // @5, term 2
    f.set('leader', 4, 4);
    let current: RaftError | null | undefined;
    t.buffer(new Uint8Array([1]), (err) => (current = err));
    t.flush(f.core, 0); // @6, term 4
    t.failLost(f.core);
    expect(old).toBeInstanceOf(CommitStatusUnknownError);
    expect(current).toBeUndefined();
  });

  it('a proposal past its timeout is answered "unknown"', () => {
    const f = fakeCore();
    const t = new ProposalTracker('n1', 100);
    let err: RaftError | null | undefined;
    t.buffer(new Uint8Array([1]), (e) => (err = e));
    t.flush(f.core, 1000);
    t.sweep(1099);
    expect(err).toBeUndefined();
    t.sweep(1100);
    expect(err).toBeInstanceOf(CommitStatusUnknownError);
  });
});
