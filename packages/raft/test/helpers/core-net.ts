import { bootstrapState, MemoryStorage, RaftCore, type Message, type RaftCoreOptions } from '../../src/index.js';

/**
 * A hand-driven network of pure cores for scenario tests: messages queue up and are
 * delivered only when the test says so (optionally filtered), persistence goes to a
 * MemoryStorage per member, and members can be crashed and restarted.
 */
export class CoreNet {
  readonly cores = new Map<string, RaftCore>();
  readonly storages = new Map<string, MemoryStorage>();
  readonly down = new Set<string>();
  queue: Message[] = [];
  /** ReadIndex answers received, per member. */
  readonly reads = new Map<string, { index: number; context: string }[]>();
  private seed = 1;

  constructor(
    readonly ids: string[],
    readonly opts: Partial<RaftCoreOptions> = {},
  ) {
    const boot = bootstrapState(ids);
    for (const id of ids) {
      const s = new MemoryStorage();
      s.save({ entries: boot.entries, hardState: boot.hardState });
      this.storages.set(id, s);
      this.start(id);
    }
  }

  core(id: string): RaftCore {
    return this.cores.get(id) as RaftCore;
  }

  start(id: string): void {
    const st = (this.storages.get(id) as MemoryStorage).load();
    this.cores.set(id, new RaftCore({ id, seed: this.seed++, preVote: false, checkQuorum: false, ...this.opts }, st));
    this.down.delete(id);
    this.flush();
  }

  crash(id: string): void {
    this.down.add(id);
    this.cores.delete(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  /** Persists and collects every member's Ready (messages go to the queue). */
  flush(): void {
    for (const [id, c] of this.cores) {
      while (c.hasReady()) {
        const rd = c.ready();
        (this.storages.get(id) as MemoryStorage).save({
          ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
          ...(rd.entries.length ? { entries: rd.entries } : {}),
          ...(rd.hardState ? { hardState: rd.hardState } : {}),
        });
        this.queue.push(...rd.messages);
        if (rd.readStates.length) this.reads.set(id, [...(this.reads.get(id) ?? []), ...rd.readStates]);
        c.advance(rd);
      }
    }
  }

  /** Delivers queued messages until quiet; `keep(m)` false drops a message. */
  deliver(keep: (m: Message) => boolean = () => true, maxRounds = 100): void {
    for (let r = 0; r < maxRounds && this.queue.length > 0; r++) {
      const q = this.queue;
      this.queue = [];
      for (const m of q) {
        if (this.down.has(m.to) || !keep(m)) continue;
        this.cores.get(m.to)?.step(m);
      }
      this.flush();
    }
  }

  /** Elects `id` by having it campaign and delivering among `among` (default everyone). */
  elect(id: string, among: string[] = this.ids): void {
    this.core(id).campaign();
    this.flush();
    this.deliver((m) => among.includes(m.from) && among.includes(m.to));
  }

  tick(id: string, n = 1): void {
    for (let i = 0; i < n; i++) this.core(id).tick();
    this.flush();
  }
}
