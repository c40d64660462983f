import type { NodeId } from '../core/messages.js';
import type { RaftCore } from '../core/raft-core.js';
import { NotLeaderError, ProposalDroppedError, type RaftError } from '../errors.js';
import { Prng } from '../prng.js';
import { RaftServer } from '../server/raft-server.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import type { StorageUpdate } from '../storage/storage.js';
import { checkLinearizable, type HistoryOp } from './linearizability.js';
import { SafetyChecker } from './safety-checker.js';
import { SimFailure } from './sim-failure.js';
import { encodeWrite, SimKv } from './sim-kv.js';
import { SimNetwork } from './sim-network.js';
import { VirtualClock } from './virtual-clock.js';

/** Configuration of a {@link SimCluster}. Times are virtual milliseconds. */
export interface SimClusterOptions {
  readonly seed: number;
  /** Every server that exists (members and future joiners). */
  readonly nodes: readonly NodeId[];
  /** Founding voters (bootstrap membership). */
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** @default 10 */
  readonly tickMs?: number;
  /** @default 10 */
  readonly electionTicks?: number;
  /** @default 1 */
  readonly heartbeatTicks?: number;
  /** @default 0 (no snapshots) */
  readonly snapshotThresholdEntries?: number;
  /** @default 0 */
  readonly snapshotTrailingEntries?: number;
  /** @default 1048576 */
  readonly maxSizePerMsgBytes?: number;
  /** @default 64 */
  readonly maxInflightMsgs?: number;
  /** @default true */
  readonly preVote?: boolean;
  /** @default true */
  readonly checkQuorum?: boolean;
  /** When set, storage writes become durable asynchronously after 0..this many ms (exercises `saveAsync`). @default 0 */
  readonly asyncSyncMaxMs?: number;
}

class CheckedStorage extends MemoryStorage {
  /** Present when the cluster simulates asynchronous disk syncs. */
  saveAsync?: (update: StorageUpdate, done: (error: Error | null) => void) => void;

  constructor(
    private readonly onSaveHook: (u: StorageUpdate, s: CheckedStorage) => void,
    syncDelay: (() => number) | null,
    clock: VirtualClock,
  ) {
    super();
    if (syncDelay) {
      this.saveAsync = (update, done) => {
        this.save(update);
        clock.setTimeout(() => done(null), syncDelay());
      };
    }
  }
  override save(update: StorageUpdate): void {
    super.save(update);
    this.onSaveHook(update, this);
  }
}

/**
 * N {@link RaftServer}s on a {@link VirtualClock} and a {@link SimNetwork}, with durable
 * (in-memory) storage that survives crashes, a register-map state machine, a client
 * history and the {@link SafetyChecker} wired in. Used by the random simulator and by
 * scenario tests.
 */
export class SimCluster {
  readonly clock = new VirtualClock();
  readonly prng: Prng;
  readonly net: SimNetwork;
  readonly checker = new SafetyChecker();
  readonly history: HistoryOp[] = [];
  private readonly servers = new Map<NodeId, RaftServer<number> | null>();
  private readonly storages = new Map<NodeId, CheckedStorage>();
  private readonly sms = new Map<NodeId, SimKv>();
  private readonly writeIndex = new Map<string, number>();
  private readonly keyWrites = new Map<string, { index: number; value: string }[]>();
  private valueCounter = 0;
  /** Server stats. */
  crashes = 0;

  constructor(readonly options: SimClusterOptions) {
    this.prng = new Prng(options.seed);
    this.net = new SimNetwork(this.clock, this.prng.fork());
    for (const id of options.nodes) {
      this.storages.set(
        id,
        new CheckedStorage(
          (u, s) => this.checker.onSave(id, this.coreOf(id), u, (i) => s.term(i)),
          options.asyncSyncMaxMs ? () => this.prng.int(0, (options.asyncSyncMaxMs as number) + 1) : null,
          this.clock,
        ),
      );
      this.servers.set(id, null);
    }
    for (const id of options.nodes) this.start(id);
  }

  private coreOf(id: NodeId): RaftCore | null {
    const s = this.servers.get(id);
    return s && s.isRunning() ? s.raft : null;
  }

  /** Ids of all servers. */
  get ids(): NodeId[] {
    return [...this.servers.keys()];
  }

  /** The running server `id`, or null while crashed. */
  server(id: NodeId): RaftServer<number> | null {
    return this.servers.get(id) ?? null;
  }

  /** The state machine of `id` (current incarnation). */
  stateMachine(id: NodeId): SimKv | undefined {
    return this.sms.get(id);
  }

  /** The storage of `id` (survives crashes). */
  storage(id: NodeId): MemoryStorage {
    return this.storages.get(id) as MemoryStorage;
  }

  /** (Re)starts server `id` from its storage. */
  start(id: NodeId): void {
    if (this.servers.get(id)) return;
    const o = this.options;
    const sm = new SimKv({
      onApply: (index, command, digest) => {
        this.checker.onApply(id, index, command, digest);
        if (!this.writeIndex.has(command)) {
          this.writeIndex.set(command, index);
          const eq = command.indexOf('=');
          const key = command.slice(0, eq);
          let list = this.keyWrites.get(key);
          if (!list) this.keyWrites.set(key, (list = []));
          list.push({ index, value: command.slice(eq + 1) });
        }
      },
      onRestore: (l, d) => this.checker.onRestore(id, l, d),
    });
    this.sms.set(id, sm);
    const founding = o.voters.includes(id) || (o.learners ?? []).includes(id);
    const server = new RaftServer<number>({
      id,
      storage: this.storages.get(id) as CheckedStorage,
      transport: this.net.endpoint(id),
      stateMachine: sm,
      clock: this.clock,
      ...(founding ? { bootstrap: { voters: o.voters, learners: o.learners ?? [] } } : {}),
      tickIntervalMs: o.tickMs ?? 10,
      electionTicks: o.electionTicks ?? 10,
      heartbeatTicks: o.heartbeatTicks ?? 1,
      preVote: o.preVote ?? true,
      checkQuorum: o.checkQuorum ?? true,
      snapshotThresholdEntries: o.snapshotThresholdEntries ?? 0,
      snapshotTrailingEntries: o.snapshotTrailingEntries ?? 0,
      maxSizePerMsgBytes: o.maxSizePerMsgBytes ?? 1024 * 1024,
      maxInflightMsgs: o.maxInflightMsgs ?? 64,
      proposalTimeoutMs: 10 * (o.electionTicks ?? 10) * (o.tickMs ?? 10),
      seed: this.prng.nextUint32(),
    });
    server.on('roleChange', (e) => {
      if (e.role === 'leader') this.checker.onLeader(id, server.raft);
    });
    this.servers.set(id, server);
    server.start();
  }

  /** Crashes server `id` (loses volatile state; storage survives). */
  crash(id: NodeId): void {
    const s = this.servers.get(id);
    if (!s) return;
    this.crashes++;
    this.servers.set(id, null);
    s.stop();
  }

  /** Crashes and restarts `id`. */
  restart(id: NodeId): void {
    this.crash(id);
    this.start(id);
  }

  /** Advances virtual time by `ms`. */
  runFor(ms: number): void {
    this.clock.runUntil(this.clock.now() + ms);
  }

  /** Runs until `pred()` holds (checked after each event) or `maxMs` pass; returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    const until = this.clock.now() + maxMs;
    if (pred()) return true;
    while (this.clock.step(until)) if (pred()) return true;
    return pred();
  }

  /** The running leader with the highest term, or null. */
  leader(): RaftServer<number> | null {
    let best: RaftServer<number> | null = null;
    for (const s of this.servers.values()) {
      if (s && s.raft.currentRole === 'leader' && (!best || s.raft.currentTerm > best.raft.currentTerm)) best = s;
    }
    return best;
  }

  /** Client write of a fresh unique value to `key` through server `via`; records the history. */
  write(via: NodeId, key: string, done?: (err: RaftError | null) => void): string {
    const value = `v${++this.valueCounter}`;
    const invokeMs = this.clock.now();
    const s = this.servers.get(via);
    const finish = (err: RaftError | null): void => {
      const outcome = err === null ? 'ok' : err instanceof NotLeaderError || err instanceof ProposalDroppedError ? 'failed' : 'unknown';
      this.history.push({
        kind: 'write',
        key,
        value,
        invokeMs,
        completeMs: outcome === 'unknown' ? Number.POSITIVE_INFINITY : this.clock.now(),
        outcome,
      });
      done?.(err);
    };
    if (!s) {
      finish(new NotLeaderError(null));
      return value;
    }
    s.proposeWith(encodeWrite(key, value), (err) => finish(err));
    return value;
  }

  /** Client linearizable read of `key` through server `via` (read barrier, then local read). */
  read(via: NodeId, key: string, done?: (err: RaftError | null, value?: string | null) => void): void {
    const invokeMs = this.clock.now();
    const s = this.servers.get(via);
    if (!s) return done?.(new NotLeaderError(null));
    s.readBarrierWith((err, index) => {
      if (err) return done?.(err);
      const sm = this.sms.get(via) as SimKv;
      const value = sm.get(key);
      this.history.push({ kind: 'read', key, value, invokeMs, completeMs: this.clock.now(), outcome: 'ok', readIndex: index as number });
      const expected = this.valueAt(key, index as number);
      if (expected !== value) {
        throw new SimFailure('correctness', `linearizability: ${via} read ${key}=${value} at applied index ${index}, the log says ${expected}`);
      }
      done?.(null, value);
    });
  }

  /** Value of `key` after the applied log up to `index`. */
  valueAt(key: string, index: number): string | null {
    const list = this.keyWrites.get(key);
    if (!list) return null;
    let v: string | null = null;
    for (const w of list) if (w.index <= index) v = w.value;
    return v;
  }

  /** Runs the whole-history linearizability check. */
  checkHistory(): void {
    checkLinearizable(
      this.history,
      (key, value) => this.writeIndex.get(`${key}=${value}`),
      (key, index) => this.valueAt(key, index),
    );
  }

  /** Stops every server. */
  stopAll(): void {
    for (const id of this.ids) {
      this.servers.get(id)?.stop();
      this.servers.set(id, null);
    }
  }
}
