import type { Prng } from '@scylla-cp/core';
import type { ShardCompactions } from './sim-cluster-view.js';
import type { SimClusterState } from './sim-cluster-state.js';
import type { ActiveFault } from './sim-faults.js';
import type { SimNode } from './sim-node.js';
import type { SimTimeline } from './sim-timeline.js';

/**
 * The compactions of each node's process: the backlog a node works off after it becomes NORMAL
 * (`restartCompactionBacklogPerShard` tasks per shard, `compactionTaskMs` each), the figures per
 * shard at any instant (cleanups count as a running compaction on shard 0), and the
 * `compactions-never-settle` fault, which freezes the backlog until it is cleared.
 */
export class NodeCompactions {
  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly prng: Prng,
  ) {}

  /** Compaction figures per shard at the current instant. */
  figures(node: SimNode): ShardCompactions[] {
    const out: ShardCompactions[] = [];
    const c = node.compaction;
    const now = this.time.at();
    for (let s = 0; s < node.shards; s++) {
      let active = 0;
      let pending = 0;
      let done = 0;
      if (c && node.process) {
        const t = c.frozenAtMs === undefined ? now : Math.min(now, c.frozenAtMs);
        const total = c.tasksPerShard[s] ?? 0;
        done = Math.min(total, Math.floor(Math.max(0, t - c.startAtMs) / c.taskMs));
        const rem = total - done;
        active = rem > 0 ? 1 : 0;
        pending = Math.max(0, rem - 1);
      }
      for (const cl of node.cleanups) if (now >= cl.startAtMs && now < cl.endAtMs && s === 0) active += 1;
      out.push({ active, pending, completed: (node.completedCompactions[s] ?? 0) + done });
    }
    return out;
  }

  /** Progress (0..1) of the running compaction of a shard, for `/compaction_manager/compactions`. */
  progress(node: SimNode): number {
    const c = node.compaction;
    if (!c) return 0;
    const now = this.time.at();
    const t = c.frozenAtMs === undefined ? now : Math.min(now, c.frozenAtMs);
    return (Math.max(0, t - c.startAtMs) % c.taskMs) / c.taskMs;
  }

  /** Starts the backlog of a node that became NORMAL (frozen at once under `compactions-never-settle`). */
  startBacklog(node: SimNode): void {
    const perShard: number[] = [];
    const n = this.cluster.timing.restartCompactionBacklogPerShard;
    for (let s = 0; s < node.shards; s++) perShard.push(n <= 0 ? 0 : Math.max(0, n + this.prng.int(-1, 1)));
    const start = this.time.at();
    node.compaction = { startAtMs: start, tasksPerShard: perShard, taskMs: Math.max(1, this.cluster.timing.compactionTaskMs) };
    if (this.cluster.faults.compactionsStuck(node.id)) node.compaction.frozenAtMs = start + node.compaction.taskMs / 2;
    this.#scheduleSettled(node);
  }

  /** Freezes a node's backlog when `compactions-never-settle` is injected, resumes it when cleared. */
  faultChanged(node: SimNode, c: { type: 'injected' | 'cleared'; fault: ActiveFault }): void {
    if (c.fault.fault.kind !== 'compactions-never-settle' || !node.compaction) return;
    const comp = node.compaction;
    const now = this.cluster.clock.now();
    if (c.type === 'injected' && comp.frozenAtMs === undefined) comp.frozenAtMs = now;
    if (c.type === 'cleared' && comp.frozenAtMs !== undefined && !this.cluster.faults.compactionsStuck(node.id)) {
      comp.startAtMs += Math.max(0, now - comp.frozenAtMs);
      comp.frozenAtMs = undefined;
      this.#scheduleSettled(node);
    }
  }

  #scheduleSettled(node: SimNode): void {
    const c = node.compaction;
    if (!c || c.frozenAtMs !== undefined) return;
    const end = c.startAtMs + Math.max(0, ...c.tasksPerShard) * c.taskMs;
    this.time.schedule(node, end, () => {
      if (node.compaction === c && c.frozenAtMs === undefined) this.cluster.log(node, 'sim', 'compactions-settled', {});
    });
  }
}
