import type { NodeId } from '../../core/messages.js';
import type { RaftCore } from '../../core/raft-core.js';
import { NotLeaderError, ProposalDroppedError, type RaftError } from '../../errors.js';
import { RaftPrng } from '../../raft-prng.js';
import { RaftServer } from '../../server/raft-server.js';
import { checkLinearizable, type HistoryOp } from './linearizability.js';
import { SafetyChecker } from './safety-checker.js';
import type { StorageUpdate } from '../../storage/storage.js';
import type { Transport } from '../../transport/transport.js';
import { SimDisk, type SimCrashLoss, type SimDiskMutation } from './sim-disk.js';
import { SimFailure } from './sim-failure.js';
import { encodeWrite, SimKv } from './sim-kv.js';
import { SimNetwork } from './sim-network.js';
import { RaftVirtualClock } from './raft-virtual-clock.js';

/** Configuration of a {@link RaftSimCluster}. Times are virtual milliseconds. */
export interface RaftSimClusterOptions {
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
  /**
   * When set, storage writes go to a volatile layer and become durable (and are reported
   * durable) 0..this many ms later (`saveAsync`); a crash loses what was not yet synced,
   * wholly or as a torn suffix. 0: synchronous writes, durable on return. @default 0
   */
  readonly asyncSyncMaxMs?: number;
  /**
   * Per-node tick length, modelling clock drift (ticks of one node run faster or slower
   * than another's). @default every node `tickMs`
   */
  readonly tickMsByNode?: Readonly<Record<NodeId, number>>;
  /** A broken disk, for mutation tests (see {@link SimDiskMutation}). */
  readonly diskMutation?: SimDiskMutation;
  /**
   * Check on every sent message that what it promises is durable on the sender's disk
   * ({@link SafetyChecker.onSend}). Off, only end-to-end checks (lost entries, two leaders)
   * can notice a server that sends before it persists. @default true
   */
  readonly checkPersistBeforeSend?: boolean;
}

/**
 * N {@link RaftServer}s on a {@link RaftVirtualClock} and a {@link SimNetwork}, each on a
 * {@link SimDisk} whose synced part survives crashes, a register-map state machine, a client
 * history and the {@link SafetyChecker} wired in. Used by the random simulator and by
 * scenario tests.
 */
export class RaftSimCluster {
  readonly clock = new RaftVirtualClock();
  readonly prng: RaftPrng;
  readonly net: SimNetwork;
  readonly checker = new SafetyChecker();
  readonly history: HistoryOp[] = [];
  private readonly servers = new Map<NodeId, RaftServer<number> | null>();
  private readonly storages = new Map<NodeId, SimDisk>();
  private readonly sms = new Map<NodeId, SimKv>();
  private readonly writeIndex = new Map<string, number>();
  private readonly keyWrites = new Map<string, { index: number; value: string }[]>();
  private valueCounter = 0;
  /** Server stats. */
  crashes = 0;
  /** Called after every disk write of any server (fault injection timed on writes). */
  onDiskWrite: ((id: NodeId, update: StorageUpdate) => void) | null = null;
  /**
   * Called every 256 events while the cluster runs; may throw to stop a run (the
   * simulator's wall-clock watchdog uses it).
   */
  watchdog: (() => void) | null = null;
  private events = 0;
  private readonly tickMs = new Map<NodeId, number>();

  constructor(readonly options: RaftSimClusterOptions) {
    this.prng = new RaftPrng(options.seed);
    this.net = new SimNetwork(this.clock, this.prng.fork());
    for (const id of options.nodes) {
      this.storages.set(
        id,
        new SimDisk({
          clock: this.clock,
          prng: this.prng.fork(),
          syncMaxMs: options.asyncSyncMaxMs ?? 0,
          onWrite: (u, d) => {
            this.checker.onSave(id, this.coreOf(id), u, (i) => d.term(i));
            this.onDiskWrite?.(id, u);
          },
          ...(options.diskMutation ? { mutation: options.diskMutation } : {}),
        }),
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

  /** The disk of `id` (its synced part survives crashes). */
  storage(id: NodeId): SimDisk {
    return this.storages.get(id) as SimDisk;
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
      storage: this.storages.get(id) as SimDisk,
      transport: this.checkedEndpoint(id),
      stateMachine: sm,
      clock: this.clock,
      ...(founding ? { bootstrap: { voters: o.voters, learners: o.learners ?? [] } } : {}),
      tickIntervalMs: this.tickMs.get(id) ?? o.tickMsByNode?.[id] ?? o.tickMs ?? 10,
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

  /**
   * Crashes server `id`: its memory is lost, and so are its disk writes not yet synced
   * (all of them, or a torn suffix; `loss` default: seeded).
   */
  crash(id: NodeId, loss?: SimCrashLoss): void {
    const s = this.servers.get(id);
    if (!s) return;
    this.crashes++;
    this.servers.set(id, null);
    s.stop();
    (this.storages.get(id) as SimDisk).crash(loss);
  }

  private checkedEndpoint(id: NodeId): Transport {
    const t = this.net.endpoint(id);
    if (this.options.checkPersistBeforeSend === false) return t;
    const disk = this.storages.get(id) as SimDisk;
    const durable = { hardState: () => disk.durableHardState(), term: (i: number) => disk.durableTerm(i), offset: () => disk.durableOffset() };
    return {
      start: (h) => t.start(h),
      close: () => t.close(),
      send: (m) => {
        this.checker.onSend(id, m, this.coreOf(id), durable);
        t.send(m);
      },
    };
  }

  /** Sets the tick length of `id` from its next start on (clock drift). */
  setTickMs(id: NodeId, ms: number): void {
    this.tickMs.set(id, ms);
  }

  /** Crashes and restarts `id`. */
  restart(id: NodeId): void {
    this.crash(id);
    this.start(id);
  }

  /** Advances virtual time by `ms`. */
  runFor(ms: number): void {
    this.clock.runUntil(this.clock.now() + ms, () => this.tick());
  }

  private tick(): void {
    if (this.watchdog && (++this.events & 255) === 0) this.watchdog();
  }

  /** Runs until `pred()` holds (checked after each event) or `maxMs` pass; returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    const until = this.clock.now() + maxMs;
    if (pred()) return true;
    while (this.clock.step(until)) {
      this.tick();
      if (pred()) return true;
    }
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
      const s = this.servers.get(id);
      this.servers.set(id, null);
      if (s) {
        s.stop();
        (this.storages.get(id) as SimDisk).crash('none');
      }
    }
  }
}
