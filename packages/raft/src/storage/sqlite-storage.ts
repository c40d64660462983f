import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { ConfChange, ConfState, Entry, EntryType, HardState, Snapshot } from '../core/messages.js';
import { EMPTY_BYTES } from '../core/messages.js';
import type { PersistedState, Storage, StorageUpdate } from './storage.js';

/** Options of {@link SqliteStorage}. */
export interface SqliteStorageOptions {
  /**
   * SQLite `synchronous` level. `FULL` fsyncs the write-ahead log on every commit, so a
   * `save` that returned survives power loss. `NORMAL` is faster and survives process
   * crashes but not power loss. @default 'FULL'
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * Commit with `synchronous=NORMAL` and fsync the WAL file ourselves: synchronously in
   * `save`, on the libuv thread pool in `saveAsync` (the event loop keeps running while
   * the disk syncs). Either way a write is durable before it is acknowledged.
   * Ignored when `synchronous` is `NORMAL`. @default true
   */
  readonly ownFsync?: boolean;
}

interface EntryRow {
  idx: number;
  term: number;
  type: number;
  data: Buffer;
  change: string | null;
}

/**
 * Durable storage in one SQLite file (better-sqlite3, WAL journal, `synchronous=FULL`).
 * Each `save` is one transaction, hence one fsync however many entries it carries; the
 * server batches concurrent proposals into one Ready, so one fsync covers them all.
 */
export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly stmts: {
    insert: Database.Statement;
    truncateFrom: Database.Statement;
    compactTo: Database.Statement;
    clear: Database.Statement;
    setMeta: Database.Statement;
    getMeta: Database.Statement;
    all: Database.Statement;
  };
  private readonly saveTx: (u: StorageUpdate) => void;
  private readonly snapTx: (s: Snapshot, compactIndex: number, compactTerm: number) => void;

  /** Opens (creating if needed) the database at `path`. */
  constructor(
    readonly path: string,
    options: SqliteStorageOptions = {},
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.ownFsync = (options.synchronous ?? 'FULL') === 'FULL' && (options.ownFsync ?? true);
    this.db.pragma(`synchronous = ${this.ownFsync ? 'NORMAL' : (options.synchronous ?? 'FULL')}`);
    // Checkpoint the WAL into the database file less often: checkpoints fsync the database
    // file on the write path.
    this.db.pragma('wal_autocheckpoint = 8192');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, type INTEGER NOT NULL, data BLOB NOT NULL, change TEXT);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
    `);
    this.stmts = {
      insert: this.db.prepare('INSERT OR REPLACE INTO entries (idx, term, type, data, change) VALUES (?, ?, ?, ?, ?)'),
      truncateFrom: this.db.prepare('DELETE FROM entries WHERE idx >= ?'),
      compactTo: this.db.prepare('DELETE FROM entries WHERE idx <= ?'),
      clear: this.db.prepare('DELETE FROM entries'),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      getMeta: this.db.prepare('SELECT v FROM meta WHERE k = ?'),
      all: this.db.prepare('SELECT idx, term, type, data, change FROM entries ORDER BY idx'),
    };
    this.saveTx = this.db.transaction((u: StorageUpdate) => {
      if (u.snapshot) {
        this.stmts.clear.run();
        this.putSnapshot(u.snapshot);
        this.putJson('offset', { index: u.snapshot.index, term: u.snapshot.term });
      }
      const ents = u.entries;
      if (ents && ents.length > 0) {
        this.stmts.truncateFrom.run((ents[0] as Entry).index);
        for (const e of ents) {
          this.stmts.insert.run(e.index, e.term, e.type === 'conf' ? 1 : 0, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength), e.change ? JSON.stringify(e.change) : null);
        }
      }
      if (u.hardState) this.putJson('hard', u.hardState);
    });
    this.snapTx = this.db.transaction((s: Snapshot, compactIndex: number, compactTerm: number) => {
      const cur = this.getJson<{ index: number }>('snapmeta');
      if (cur && cur.index >= s.index) return;
      this.putSnapshot(s);
      const off = this.getJson<{ index: number; term: number }>('offset') ?? { index: 0, term: 0 };
      if (compactIndex > off.index) {
        this.stmts.compactTo.run(compactIndex);
        this.putJson('offset', { index: compactIndex, term: compactTerm });
      }
    });
  }

  load(): PersistedState {
    const hard = this.deferredHard ?? this.getJson<HardState>('hard') ?? { term: 0, vote: null, commit: 0 };
    this.lastSynced = hard;
    const meta = this.getJson<{ index: number; term: number; conf: ConfState }>('snapmeta');
    const data = this.stmts.getMeta.get('snapdata') as { v: Buffer } | undefined;
    const snapshot: Snapshot | null = meta ? { ...meta, data: data ? new Uint8Array(data.v) : EMPTY_BYTES } : null;
    const off = this.getJson<{ index: number; term: number }>('offset') ?? { index: 0, term: 0 };
    const entries = (this.stmts.all.all() as EntryRow[]).map(
      (r): Entry => ({
        index: r.idx,
        term: r.term,
        type: (r.type === 1 ? 'conf' : 'normal') as EntryType,
        data: new Uint8Array(r.data),
        ...(r.change ? { change: JSON.parse(r.change) as ConfChange } : {}),
      }),
    );
    return { hardState: hard, snapshot, offset: off.index, offsetTerm: off.term, entries };
  }

  save(update: StorageUpdate): void {
    if (this.write(update) && this.ownFsync) fsyncSync(this.walFd());
  }

  /** Like `save`, but the fsync runs on the libuv thread pool; `done` is called once durable. */
  saveAsync(update: StorageUpdate, done: (error: Error | null) => void): void {
    let wrote: boolean;
    try {
      wrote = this.write(update);
    } catch (e) {
      queueMicrotask(() => done(e as Error));
      return;
    }
    if (!wrote || !this.ownFsync) {
      queueMicrotask(() => done(null));
      return;
    }
    fsync(this.walFd(), (err) => done(err));
  }

  /** Runs the transaction for `update`; returns false when it was deferred (commit index only). */
  private write(update: StorageUpdate): boolean {
    const hs = update.hardState;
    const mustSync =
      update.snapshot !== undefined ||
      (update.entries !== undefined && update.entries.length > 0) ||
      (hs !== undefined && (this.lastSynced === null || hs.term !== this.lastSynced.term || hs.vote !== this.lastSynced.vote));
    if (!mustSync) {
      // Only the commit index moved: it need not be durable (after a crash it is learned
      // again from the leader), so keep it for the next synced write instead of fsyncing.
      if (hs) this.deferredHard = hs;
      return false;
    }
    const u = !hs && this.deferredHard ? { ...update, hardState: this.deferredHard } : update;
    this.saveTx(u);
    if (u.hardState) this.lastSynced = u.hardState;
    this.deferredHard = null;
    return true;
  }

  private lastSynced: HardState | null = null;
  private deferredHard: HardState | null = null;
  private readonly ownFsync: boolean;
  private walFdCache = -1;

  private walFd(): number {
    if (this.walFdCache < 0) this.walFdCache = openSync(`${this.path}-wal`, 'r');
    return this.walFdCache;
  }


  saveSnapshot(snapshot: Snapshot, compactIndex: number, compactTerm: number): void {
    this.snapTx(snapshot, compactIndex, compactTerm);
  }

  close(): void {
    if (this.db.open && this.deferredHard) {
      this.saveTx({ hardState: this.deferredHard });
      this.deferredHard = null;
      if (this.ownFsync) fsyncSync(this.walFd());
    }
    if (this.db.open) this.db.close();
    if (this.walFdCache >= 0) {
      closeSync(this.walFdCache);
      this.walFdCache = -1;
    }
  }

  private putSnapshot(s: Snapshot): void {
    this.putJson('snapmeta', { index: s.index, term: s.term, conf: s.conf });
    this.stmts.setMeta.run('snapdata', Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength));
  }

  private putJson(k: string, v: unknown): void {
    this.stmts.setMeta.run(k, Buffer.from(JSON.stringify(v)));
  }

  private getJson<T>(k: string): T | undefined {
    const row = this.stmts.getMeta.get(k) as { v: Buffer } | undefined;
    return row ? (JSON.parse(row.v.toString()) as T) : undefined;
  }
}
