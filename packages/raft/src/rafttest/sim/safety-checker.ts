import type { Entry, Message, NodeId } from '../../core/messages.js';
import { canSendBeforePersist } from '../../core/ready.js';
import type { RaftCore } from '../../core/raft-core.js';
import type { StorageUpdate } from '../../storage/storage.js';
import { SimFailure } from './sim-failure.js';

const decoder = new TextDecoder();

/** Digest step of the applied-command hash chain (FNV-1a over index and command). */
export function chainDigest(prev: number, index: number, command: string): number {
  let h = (prev ^ 0x811c9dc5 ^ Math.imul(index, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < command.length; i++) h = Math.imul(h ^ command.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

interface CommitInfo {
  readonly commitTerm: number;
  readonly entryTerm: number;
}

/**
 * Continuous Raft safety checks fed by the simulator: election safety, log matching,
 * leader completeness and state machine safety. Each violation throws a correctness
 * {@link SimFailure}.
 */
export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly committed = new Map<number, CommitInfo>();
  private readonly fingerprints = new Map<string, string>();
  /** Applied command and chain digest per log index (the longest applied sequence). */
  readonly applied = new Map<number, { command: string; digest: number }>();
  /** Highest index applied anywhere. */
  maxApplied = 0;
  leadersElected = 0;

  /** Election safety + leader completeness, when `core` has just become leader. */
  onLeader(id: NodeId, core: RaftCore): void {
    const term = core.currentTerm;
    const prev = this.leaderOfTerm.get(term);
    if (prev !== undefined && prev !== id) {
      throw new SimFailure('correctness', `election safety: two leaders in term ${term}: ${prev} and ${id}`);
    }
    if (prev === undefined) this.leadersElected++;
    this.leaderOfTerm.set(term, id);
    const log = core.log;
    for (const [index, info] of this.committed) {
      if (info.commitTerm >= term || index <= log.offset) continue;
      const t = log.term(index);
      if (t !== info.entryTerm) {
        throw new SimFailure(
          'correctness',
          `leader completeness: leader ${id} of term ${term} lacks entry ${index} (term ${info.entryTerm}) committed in term ${info.commitTerm}; has term ${t}`,
        );
      }
    }
  }

  /** Log matching (incremental) and commit recording, on every durable write of `id`. */
  onSave(id: NodeId, core: RaftCore | null, update: StorageUpdate, termAt: (index: number) => number | undefined): void {
    for (const e of update.entries ?? []) {
      const key = `${e.index}:${e.term}`;
      const fp = `${fingerprint(e)}|${termAt(e.index - 1) ?? '?'}`;
      const prev = this.fingerprints.get(key);
      if (prev === undefined) this.fingerprints.set(key, fp);
      else if (prev !== fp && !prev.endsWith('|?') && !fp.endsWith('|?')) {
        throw new SimFailure('correctness', `log matching: entry ${key} differs on ${id}: ${fp} vs ${prev}`);
      }
    }
    const hs = update.hardState;
    if (hs && core && core.currentRole === 'leader' && core.currentTerm === hs.term) {
      for (let i = hs.commit; i > 0 && !this.committed.has(i); i--) {
        const t = core.log.term(i);
        if (t === undefined) break;
        this.committed.set(i, { commitTerm: hs.term, entryTerm: t });
      }
    }
  }

  /**
   * Persist-before-send contract, on every message `id` sends: what a message promises
   * must already be durable. A granted vote needs the durable vote for that candidate in
   * that term (or a durable later term); an accepted append needs the acknowledged entries on the durable log with
   * the terms the sender has; any other message (except a leader's append, heartbeat and
   * snapshot, which may go out before the leader's own write) needs its term durable.
   * `durable` reads the sender's synced disk.
   */
  onSend(
    id: NodeId,
    m: Message,
    core: RaftCore | null,
    durable: { hardState(): { term: number; vote: NodeId | null }; term(index: number): number | undefined; offset(): number },
  ): void {
    if (m.type === 'preVoteResp' || m.type === 'preVote') return; // pre-votes change no state
    if (canSendBeforePersist(m.type) && core?.currentRole === 'leader') return;
    const hs = durable.hardState();
    if (m.type === 'voteResp' && !m.reject) {
      // A durable later term also makes the vote safe: no second vote in m.term can follow.
      if (hs.term < m.term || (hs.term === m.term && hs.vote !== m.to)) {
        throw new SimFailure(
          'correctness',
          `persist before send: ${id} granted its vote to ${m.to} in term ${m.term} but its durable state says term ${hs.term} vote ${hs.vote}`,
        );
      }
      return;
    }
    if (hs.term < m.term) {
      throw new SimFailure('correctness', `persist before send: ${id} sent ${m.type} in term ${m.term} while its durable term is ${hs.term}`);
    }
    if (m.type === 'appendResp' && !m.reject && core && (m.index ?? 0) > durable.offset()) {
      const i = m.index as number;
      const want = core.log.term(i);
      const got = durable.term(i);
      if (want !== undefined && got !== want) {
        throw new SimFailure(
          'correctness',
          `persist before send: ${id} acknowledged entries up to ${i} (term ${want}) but its durable log has ${got === undefined ? 'no entry' : `term ${got}`} there`,
        );
      }
    }
  }

  /** State machine safety: every apply must extend the one longest applied sequence. */
  onApply(id: NodeId, index: number, command: string, digest: number): void {
    const g = this.applied.get(index);
    if (!g) {
      this.applied.set(index, { command, digest });
      if (index > this.maxApplied) this.maxApplied = index;
    } else if (g.command !== command || g.digest !== digest) {
      throw new SimFailure(
        'correctness',
        `state machine safety: ${id} applied "${command}" at ${index} (digest ${digest}); others applied "${g.command}" (digest ${g.digest})`,
      );
    }
  }

  /** A restored snapshot must match the applied sequence at its last command. */
  onRestore(id: NodeId, lastCommandIndex: number, digest: number): void {
    if (lastCommandIndex === 0) return;
    const g = this.applied.get(lastCommandIndex);
    if (g && g.digest !== digest) {
      throw new SimFailure('correctness', `state machine safety: ${id} restored a snapshot diverging at ${lastCommandIndex}`);
    }
  }
}

function fingerprint(e: Entry): string {
  if (e.type === 'conf') return `conf:${JSON.stringify(e.change)}`;
  return `n:${decoder.decode(e.data)}`;
}
