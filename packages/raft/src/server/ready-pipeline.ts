import type { Entry, NodeId } from '../core/messages.js';
import type { RaftCore } from '../core/raft-core.js';
import { canSendBeforePersist, type Ready, type Role } from '../core/ready.js';
import { RaftError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import type { Transport } from '../transport/transport.js';
import type { RaftServerEvents, TypedEmitter } from './events.js';
import type { ProposalTracker } from './proposal-tracker.js';
import type { ReadTracker } from './read-tracker.js';
import type { StateMachine } from './state-machine.js';

/** What a {@link ReadyPipeline} drives and reports to. */
export interface ReadyPipelineOptions {
  readonly id: NodeId;
  readonly core: RaftCore;
  readonly storage: Storage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<unknown>;
  readonly events: TypedEmitter<RaftServerEvents>;
  readonly proposals: ProposalTracker;
  readonly reads: ReadTracker;
  /** Snapshot and compact every this many applied entries; 0 disables. */
  readonly snapshotThresholdEntries: number;
  /** Entries kept below a snapshot. */
  readonly snapshotTrailingEntries: number;
  /** Index of the snapshot the state machine was restored from (0 if none). */
  readonly snapshotIndex: number;
  /** False once the server stopped: the pipeline then does nothing more. */
  isRunning(): boolean;
  /** The server's clock, in ms (proposal deadlines). */
  now(): number;
  /** The role or the leader hint changed (after the Ready that says so was applied). */
  onSoftState(role: Role, leader: NodeId | null): void;
  /** A storage write failed: the server must stop. */
  onStorageFailure(): void;
}

/**
 * The storage/apply pipeline of a server: drains the core's Readys in the order its
 * contract asks (persist, send, apply, advance), with a leader's replication messages
 * shipped before its own fsync and, with a storage offering `saveAsync`, the loop paused
 * while a write syncs (messages keep being stepped into the core and proposals gathered
 * for the next Ready meanwhile). Applies committed entries to the state machine, answers
 * proposals and reads through their trackers, and takes snapshots.
 */
export class ReadyPipeline {
  private appliedIndex: number;
  private snapshotIndex: number;
  private persisting = false;
  /** The term seen in the last Ready (a change may depose this member's proposals). */
  private seenTerm: number;

  constructor(private readonly o: ReadyPipelineOptions) {
    this.appliedIndex = o.core.log.applied;
    this.snapshotIndex = o.snapshotIndex;
    this.seenTerm = o.core.currentTerm;
  }

  /** Index of the last entry applied to the state machine. */
  get applied(): number {
    return this.appliedIndex;
  }

  /** Drains the core: persist, send, apply, advance; repeated until nothing is left. */
  process(): void {
    if (this.persisting) return;
    const c = this.o.core;
    this.o.proposals.flush(c, this.o.now());
    for (let guard = 0; guard < 1000 && this.o.isRunning() && c.hasReady(); guard++) {
      const rd = c.ready();
      const early = c.currentRole === 'leader' && rd.entries.length > 0;
      // Committed entries that are already durable here can be applied before this
      // Ready's write completes (they do not depend on it); others wait for it.
      const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
      const applyFirst = rd.snapshot === null && lastCommitted !== undefined && lastCommitted.index <= c.log.stabled;
      if (applyFirst) this.applyReady(rd);
      // 0. a leader ships replication messages first so its fsync overlaps the followers'
      if (early) for (const m of rd.messages) if (canSendBeforePersist(m.type)) this.o.transport.send(m);
      // 1. persist
      if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
        const update = {
          ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
          ...(rd.entries.length > 0 ? { entries: rd.entries } : {}),
          ...(rd.hardState ? { hardState: rd.hardState } : {}),
        };
        const storage = this.o.storage;
        if (storage.saveAsync && rd.snapshot === null) {
          this.persisting = true;
          storage.saveAsync(update, (err) => {
            this.persisting = false;
            if (!this.o.isRunning()) return;
            if (err) {
              this.o.onStorageFailure();
              throw new RaftError(`storage write failed on ${this.o.id}; the server stopped: ${err.message}`);
            }
            this.finishReady(rd, early, applyFirst);
            this.process();
          });
          return;
        }
        storage.save(update);
      }
      this.finishReady(rd, early, applyFirst);
    }
  }

  private finishReady(rd: Ready, early: boolean, applied: boolean): void {
    const c = this.o.core;
    // 2. send
    for (const m of rd.messages) if (!early || !canSendBeforePersist(m.type)) this.o.transport.send(m);
    // 3. apply
    if (!applied) this.applyReady(rd);
    if (rd.softState) this.o.onSoftState(rd.softState.role, rd.softState.leader);
    if (rd.softState || (rd.hardState && rd.hardState.term !== this.seenTerm)) {
      this.seenTerm = c.currentTerm;
      this.o.proposals.failLost(c);
    }
    // 4. advance
    c.advance(rd);
    this.maybeSnapshot();
  }

  private applyReady(rd: Ready): void {
    const o = this.o;
    if (rd.snapshot) {
      o.stateMachine.restore(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.index;
      this.snapshotIndex = rd.snapshot.index;
      o.proposals.onSnapshot(rd.snapshot.index);
      o.events.emit('membershipChange', { conf: o.core.confState(), index: rd.snapshot.index });
    }
    for (const e of rd.committedEntries) this.applyEntry(e);
    o.reads.onReadStates(rd.readStates);
    if (rd.snapshot || rd.committedEntries.length > 0) o.events.emit('applied', { index: this.appliedIndex });
    o.reads.release(this.appliedIndex);
  }

  private applyEntry(e: Entry): void {
    let result: unknown;
    let error: RaftError | null = null;
    if (e.type === 'normal' && e.data.length > 0) {
      try {
        result = this.o.stateMachine.apply(e.data, e.index);
      } catch (err) {
        error = new RaftError(`state machine apply failed at index ${e.index}: ${(err as Error).message}`);
      }
    }
    this.appliedIndex = e.index;
    if (e.type === 'conf') this.o.events.emit('membershipChange', { conf: this.o.core.confState(), index: e.index });
    this.o.proposals.onApplied(this.o.core, e, result, error);
  }

  private maybeSnapshot(): void {
    const c = this.o.core;
    const threshold = this.o.snapshotThresholdEntries;
    if (threshold <= 0) return;
    if (this.appliedIndex - this.snapshotIndex < threshold) return;
    if (c.log.pendingSnapshot) return;
    const index = this.appliedIndex;
    const data = this.o.stateMachine.snapshot();
    const compactIndex = Math.max(c.log.offset, index - this.o.snapshotTrailingEntries);
    const compactTerm = c.log.term(compactIndex) as number;
    const snap = c.compact(index, data, compactIndex);
    this.o.storage.saveSnapshot(snap, compactIndex, compactTerm);
    this.snapshotIndex = index;
  }
}
