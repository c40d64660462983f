/** Who caused an operation-log entry. */
export type SimActor =
  /** a REST API call to the node */
  | 'rest'
  /** a command run through the node's shell (SimShell / SimHttpShell) */
  | 'shell'
  /** the simulation itself (a scheduled state change) */
  | 'sim'
  /** an injected fault */
  | 'fault'
  /** the test or operator, through the programmatic API or /_sim control endpoints */
  | 'control';

/** One entry of the {@link SimOpLog}. */
export interface SimOpLogEntry {
  /** Position in the log, from 1, gap-free. */
  seq: number;
  /** When it happened, in milliseconds of the cluster's clock. */
  atMs: number;
  /** The node it happened to (node id). */
  node: string;
  /** Who caused it. */
  actor: SimActor;
  /**
   * What happened. Actions used by the simulator: `drain`, `drained`, `systemctl-start`,
   * `systemctl-stop`, `systemctl-restart`, `started` (READY=1), `stopped`, `start-failed`,
   * `mode` (detail.mode), `serving`, `native-transport-start|stop`, `gossip-start|stop`,
   * `config-write` (detail.path), `repair-start`, `repair-done` (detail.status), `flush`,
   * `cleanup`, `snapshot`, `snapshot-delete`, `decommission`, `decommissioned`, `removenode`,
   * `removed`, `rebuild`, `rebuilt`, `bootstrap`, `bootstrap-done`, `bootstrap-failed`, `replace`,
   * `replace-done`, `replace-failed`, `replaced`, `killed`, `power-on`, `reboot`, `package-upgrade`, `fault-injected`, `fault-cleared`,
   * `compactions-settled`.
   */
  action: string;
  /** Extra context (JSON-serializable). */
  detail: Record<string, unknown>;
}

/** A filter for {@link SimOpLog.entries}. */
export interface SimOpLogQuery {
  /** Only this node. */
  node?: string;
  /** Only these actions. */
  actions?: readonly string[];
  /** Only entries with `seq` greater than this. */
  afterSeq?: number;
  /** Only this actor. */
  actor?: SimActor;
}

/**
 * The operation log: an append-only record of who did what to which node, and when, so that
 * tests can assert order (each node drained before stopped, started after, ...).
 */
export class SimOpLog {
  readonly #entries: SimOpLogEntry[] = [];
  readonly #listeners: ((e: SimOpLogEntry) => void)[] = [];
  readonly #beforeRead: (() => void) | undefined;

  /** @param beforeRead called before every read (the cluster applies due state changes there). */
  constructor(beforeRead?: () => void) {
    this.#beforeRead = beforeRead;
  }

  /** Appends an entry and notifies listeners. */
  append(atMs: number, node: string, actor: SimActor, action: string, detail: Record<string, unknown> = {}): SimOpLogEntry {
    const e: SimOpLogEntry = { seq: this.#entries.length + 1, atMs, node, actor, action, detail };
    this.#entries.push(e);
    for (const l of [...this.#listeners]) l(e);
    return e;
  }

  /** Entries matching `query`, oldest first. */
  entries(query: SimOpLogQuery = {}): SimOpLogEntry[] {
    this.#beforeRead?.();
    return this.#entries.filter(
      (e) =>
        (query.node === undefined || e.node === query.node) &&
        (query.actions === undefined || query.actions.includes(e.action)) &&
        (query.afterSeq === undefined || e.seq > query.afterSeq) &&
        (query.actor === undefined || e.actor === query.actor),
    );
  }

  /** Number of entries. */
  get size(): number {
    this.#beforeRead?.();
    return this.#entries.length;
  }

  /** Calls `listener` for every new entry; returns an unsubscribe function. */
  subscribe(listener: (e: SimOpLogEntry) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }
}
