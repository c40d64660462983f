import type { Entry, HardState, Snapshot } from '../../core/messages.js';
import type { RaftPrng } from '../../raft-prng.js';
import type { Clock } from '../../server/clock.js';
import type { PersistedState, Storage, StorageUpdate } from '../../storage/storage.js';

/**
 * A deliberately broken disk, used by mutation tests to prove that the simulator notices:
 *
 * - `ack-before-sync`: `saveAsync` reports a write durable at once while it stays in the
 *   volatile layer until the sync delay passes (the server then sends acknowledgements and
 *   votes before its state is persisted: "send before persist").
 * - `volatile-vote`: the vote of the hard state never reaches the durable layer (a restart
 *   forgets whom it voted for in the current term).
 */
export type SimDiskMutation = 'ack-before-sync' | 'volatile-vote';

/** How a crash treats the writes that were not yet synced. */
export type SimCrashLoss = 'all' | 'torn' | 'none';

/** Options of a {@link SimDisk}. Times are virtual milliseconds. */
export interface SimDiskOptions {
  readonly clock: Clock;
  /** Draws sync delays and torn-write points. */
  readonly prng: RaftPrng;
  /**
   * Largest delay between a `saveAsync` write and its sync (uniform in 0..this).
   * 0 makes the disk synchronous (no `saveAsync`: `save` is durable when it returns).
   * @default 0
   */
  readonly syncMaxMs?: number;
  /** Called after every write with the update (checks run on what the server wrote). */
  readonly onWrite?: (update: StorageUpdate, disk: SimDisk) => void;
  /** Injected defect (mutation tests only). */
  readonly mutation?: SimDiskMutation;
}

type Op =
  | { readonly k: 'snap'; readonly snapshot: Snapshot }
  | { readonly k: 'ent'; readonly entry: Entry }
  | { readonly k: 'hs'; readonly hardState: HardState };

interface Image {
  hardState: HardState;
  snapshot: Snapshot | null;
  offset: number;
  offsetTerm: number;
  entries: Entry[];
}

function emptyImage(): Image {
  return { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, offset: 0, offsetTerm: 0, entries: [] };
}

function cloneImage(i: Image): Image {
  return { hardState: i.hardState, snapshot: i.snapshot, offset: i.offset, offsetTerm: i.offsetTerm, entries: i.entries.slice() };
}

/** Splits one update into the ordered low-level writes a log-structured disk would do. */
function opsOf(u: StorageUpdate): Op[] {
  const ops: Op[] = [];
  if (u.snapshot) ops.push({ k: 'snap', snapshot: u.snapshot });
  for (const e of u.entries ?? []) ops.push({ k: 'ent', entry: e });
  if (u.hardState) ops.push({ k: 'hs', hardState: u.hardState });
  return ops;
}

function applyOp(img: Image, op: Op): void {
  switch (op.k) {
    case 'snap':
      img.snapshot = op.snapshot;
      img.offset = op.snapshot.index;
      img.offsetTerm = op.snapshot.term;
      img.entries = [];
      return;
    case 'ent': {
      const i = op.entry.index;
      if (i <= img.offset) return; // already covered by a snapshot
      if (i > img.offset + img.entries.length + 1) throw new Error(`SimDisk: gap: entry ${i} after last ${img.offset + img.entries.length}`);
      img.entries.length = i - img.offset - 1;
      img.entries.push(op.entry);
      return;
    }
    case 'hs':
      img.hardState = op.hardState;
      return;
  }
}

/**
 * The simulator's disk: honest about durability. A write made with `saveAsync` first
 * lands in a volatile layer (what the running server reads back) and becomes durable only
 * when its sync fires, a seeded 0..`syncMaxMs` later; syncs complete in write order, and
 * `done` is called only then. {@link crash} throws the volatile layer away, wholly or
 * leaving a seeded prefix of its low-level writes (a torn suffix: entries in order, the
 * hard state last), and a restarted server loads only what survived. `save` and
 * `saveSnapshot` are synchronous, hence durable when they return.
 */
export class SimDisk implements Storage {
  private durable: Image = emptyImage();
  private current: Image = emptyImage();
  private pending: { ops: Op[]; gen: number; synced: boolean }[] = [];
  private generation = 0;
  /** Number of writes (`save` and `saveAsync`). */
  writes = 0;
  /** Number of crashes that lost (part of) a volatile layer. */
  lostWrites = 0;
  /** Present when `syncMaxMs > 0`. */
  readonly saveAsync?: (update: StorageUpdate, done: (error: Error | null) => void) => void;

  constructor(private readonly options: SimDiskOptions) {
    const maxMs = options.syncMaxMs ?? 0;
    if (maxMs > 0) {
      this.saveAsync = (update, done) => {
        this.writes++;
        const ops = opsOf(update);
        for (const op of ops) applyOp(this.current, op);
        const gen = this.generation;
        const w = { ops, gen, synced: false };
        this.pending.push(w);
        this.options.onWrite?.(update, this);
        const delay = this.options.prng.int(0, maxMs + 1);
        if (this.options.mutation === 'ack-before-sync') this.options.clock.setTimeout(() => done(null), 0);
        this.options.clock.setTimeout(() => {
          if (this.generation !== gen) return; // the process crashed before the sync: no callback
          this.syncThrough(w);
          if (this.options.mutation !== 'ack-before-sync') done(null);
        }, delay);
      };
    }
  }

  load(): PersistedState {
    const c = this.current;
    return { hardState: c.hardState, snapshot: c.snapshot, offset: c.offset, offsetTerm: c.offsetTerm, entries: c.entries.slice() };
  }

  save(update: StorageUpdate): void {
    this.writes++;
    // A synchronous write is durable on return: earlier unsynced writes reach the disk first.
    const ops = opsOf(update);
    for (const op of ops) applyOp(this.current, op);
    this.pending.push({ ops, gen: this.generation, synced: false });
    this.syncThrough(this.pending[this.pending.length - 1] as (typeof this.pending)[number]);
    this.options.onWrite?.(update, this);
  }

  saveSnapshot(snapshot: Snapshot, compactIndex: number, compactTerm: number): void {
    for (const img of [this.durable, this.current]) {
      if (img.snapshot && snapshot.index <= img.snapshot.index) continue;
      img.snapshot = snapshot;
      if (compactIndex > img.offset) {
        img.entries = img.entries.slice(compactIndex - img.offset);
        img.offset = compactIndex;
        img.offsetTerm = compactTerm;
      }
    }
  }

  close(): void {
    /* the data stays for a simulated restart; crash() decides what survives */
  }

  /**
   * The process died: writes not yet synced are lost. `loss` (default: drawn from the
   * seeded PRNG) says whether all are lost, a seeded suffix of them is torn off (the rest
   * reached the platter), or none is lost (the data was written but the sync not reported).
   */
  crash(loss?: SimCrashLoss): void {
    this.generation++;
    const ops = this.pending.filter((w) => !w.synced).flatMap((w) => w.ops);
    this.pending = [];
    const p = this.options.prng;
    const mode = loss ?? (p.chance(0.5) ? 'all' : p.chance(0.8) ? 'torn' : 'none');
    const keep = mode === 'all' ? 0 : mode === 'none' ? ops.length : p.int(0, ops.length + 1);
    if (keep < ops.length) this.lostWrites++;
    for (const op of ops.slice(0, keep)) this.applyDurable(op);
    this.current = cloneImage(this.durable);
  }

  /** Number of low-level writes not yet durable. */
  get unsynced(): number {
    return this.pending.filter((w) => !w.synced).reduce((n, w) => n + w.ops.length, 0);
  }

  /** Term of the entry at `index` as the running server sees it (or of the compaction point). */
  term(index: number): number | undefined {
    const c = this.current;
    if (index === c.offset) return c.offsetTerm;
    if (index < c.offset || index > c.offset + c.entries.length) return undefined;
    return (c.entries[index - c.offset - 1] as Entry).term;
  }

  /** Index of the last entry the running server sees. */
  lastIndex(): number {
    return this.current.offset + this.current.entries.length;
  }

  /** The durable hard state (what a crash right now would keep of it, at least). */
  durableHardState(): HardState {
    return this.durable.hardState;
  }

  /** Term of the durable entry at `index` (or of the durable compaction point); undefined if absent. */
  durableTerm(index: number): number | undefined {
    const d = this.durable;
    if (index === d.offset) return d.offsetTerm;
    if (index < d.offset) return undefined;
    return d.entries[index - d.offset - 1]?.term;
  }

  /** Compaction point of the durable log. */
  durableOffset(): number {
    return this.durable.offset;
  }

  private syncThrough(target: { synced: boolean }): void {
    for (const w of this.pending) {
      if (!w.synced) {
        for (const op of w.ops) this.applyDurable(op);
        w.synced = true;
      }
      if (w === target) break;
    }
    while (this.pending[0]?.synced) this.pending.shift();
  }

  private applyDurable(op: Op): void {
    if (op.k === 'hs' && this.options.mutation === 'volatile-vote') {
      const prev = this.durable.hardState;
      applyOp(this.durable, { k: 'hs', hardState: { ...op.hardState, vote: prev.term === op.hardState.term ? prev.vote : null } });
      return;
    }
    applyOp(this.durable, op);
  }
}
