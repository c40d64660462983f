import type { ProcessLife } from './process-life.js';
import { isLocalStrategy } from './replication.js';
import type { SimClusterState } from './sim-cluster-state.js';
import { runtimeError, SimConnectionError, SimHttpError } from './sim-errors.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import type { SimTimeline } from './sim-timeline.js';
import { hash } from './util.js';

/**
 * The storage service of each node: drain, gossip and native transport on and off, keyspace
 * cleanup and flush, and snapshots. The compactions these cause are counted by
 * `NodeCompactions`.
 */
export class StorageService {
  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly life: ProcessLife,
  ) {}

  /**
   * `POST /storage_service/drain`: DRAINING, then (after `drainMs`) DRAINED with native transport
   * and gossip off. Resolves when drained; a second call while draining waits for the same drain;
   * a call on a DRAINED node returns at once. Rejects with a reset if the node dies meanwhile.
   */
  async drain(nodeOrId: SimNode | string, actor: SimActor): Promise<void> {
    const { cluster, life, time } = this;
    const node = typeof nodeOrId === 'string' ? cluster.node(nodeOrId) : nodeOrId;
    time.sync();
    if (!cluster.apiAccepting(node)) throw new SimConnectionError('ECONNREFUSED', `connect ECONNREFUSED (node ${node.id} is not listening)`);
    if (node.mode === 'DRAINED') {
      cluster.log(node, actor, 'drain', { alreadyDrained: true });
      return;
    }
    const boot = node.boot;
    if (node.mode !== 'DRAINING') {
      const t = cluster.clock.now();
      const drainMs = cluster.timing.drainMs;
      const total = cluster.keyspaces.reduce((a, k) => a + (k.tables?.length ?? 0), 0);
      node.drain = { totalCfs: total, startAtMs: t, endAtMs: t + drainMs };
      cluster.log(node, actor, 'drain', {});
      life.setMode(node, 'DRAINING', actor);
      time.schedule(node, t + drainMs * 0.3, () => {
        life.transport(node, false, 'sim');
        life.gossipStop(node, 'sim', true);
      });
      time.schedule(node, t + drainMs, () => {
        life.setMode(node, 'DRAINED', 'sim');
        cluster.log(node, 'sim', 'drained', {});
      });
      life.maybeDie(node, 'drain', drainMs);
      time.changed();
    }
    await time.waitFor(() => node.boot !== boot, node.drain!.endAtMs);
    if (node.boot !== boot) throw new SimConnectionError('ECONNRESET', `node ${node.id} died while draining`);
  }

  /** `"Drained <remaining>/<total> ColumnFamilies"` numbers. */
  drainProgress(node: SimNode): { remaining: number; total: number } {
    const d = node.drain;
    if (!d) return { remaining: 0, total: 0 };
    const now = this.time.at();
    const frac = Math.min(1, Math.max(0, (now - d.startAtMs) / (d.endAtMs - d.startAtMs || 1)));
    return { remaining: Math.ceil(d.totalCfs * (1 - frac)), total: d.totalCfs };
  }

  /** REST: `POST /storage_service/gossiping` / `DELETE` (start / stop gossip). */
  setGossip(node: SimNode, on: boolean, actor: SimActor): void {
    this.time.sync();
    if (on) this.life.gossipStart(node, actor);
    else this.life.gossipStop(node, actor, true);
    this.time.changed();
  }

  /** REST: `POST` / `DELETE /storage_service/native_transport`. */
  setNativeTransport(node: SimNode, on: boolean, actor: SimActor): void {
    this.time.sync();
    this.life.transport(node, on, actor);
    this.time.changed();
  }

  /** `POST /storage_service/keyspace_cleanup/{ks}`: synchronous; takes `cleanupMs`. */
  async cleanup(node: SimNode, keyspace: string, actor: SimActor): Promise<number> {
    const { cluster, time } = this;
    time.sync();
    const ks = cluster.keyspace(keyspace);
    if (!ks) throw new SimHttpError(400, `Keyspace ${keyspace} Does not exist`);
    if (cluster.topology.nodesIn('leaving').length > 0 || cluster.topology.nodesIn('joining').length > 0) {
      throw runtimeError('Can not perform cleanup operation when topology changes');
    }
    cluster.log(node, actor, 'cleanup', { keyspace });
    if (isLocalStrategy(ks)) return 0;
    const t = cluster.clock.now();
    const boot = node.boot;
    const cleanupMs = cluster.timing.cleanupMs;
    node.cleanups.push({ ks: keyspace, startAtMs: t, endAtMs: t + cleanupMs });
    this.life.maybeDie(node, 'cleanup', cleanupMs);
    await time.waitFor(() => node.boot !== boot, t + cleanupMs);
    if (node.boot !== boot) throw new SimConnectionError('ECONNRESET', `node ${node.id} died during cleanup`);
    node.cleanups = node.cleanups.filter((c) => c.endAtMs > cluster.clock.now());
    return 0;
  }

  /** `POST /storage_service/keyspace_flush/{ks}` (or every keyspace when `keyspace` is undefined). */
  async flush(node: SimNode, keyspace: string | undefined, actor: SimActor): Promise<void> {
    this.time.sync();
    if (keyspace !== undefined && !this.cluster.keyspace(keyspace)) throw new SimHttpError(400, `Keyspace ${keyspace} Does not exist`);
    this.cluster.log(node, actor, 'flush', keyspace === undefined ? {} : { keyspace });
    await this.time.sleepUntil(this.cluster.clock.now() + this.cluster.timing.flushMs);
  }

  /** `POST /storage_service/snapshots?tag=&kn=`: 500 if the tag exists in one of the keyspaces. */
  async snapshot(node: SimNode, tag: string, keyspaces: string[] | undefined, actor: SimActor): Promise<void> {
    const cluster = this.cluster;
    this.time.sync();
    const names = keyspaces && keyspaces.length > 0 ? keyspaces : cluster.keyspaces.map((k) => k.name);
    for (const n of names) if (!cluster.keyspace(n)) throw new SimHttpError(400, `Keyspace ${n} Does not exist`);
    const existing = node.snapshots.get(tag) ?? [];
    for (const n of names) {
      if (existing.some((e) => e.ks === n)) throw runtimeError(`Keyspace ${n}: snapshot ${tag} already exists.`);
    }
    const entries = [...existing];
    for (const n of names) {
      const ks = cluster.keyspace(n)!;
      for (const cf of ks.tables ?? []) entries.push({ ks: n, cf, total: 1024 * (1 + (hash(`${node.id}/${n}/${cf}`) % 4096)), live: 0 });
    }
    node.snapshots.set(tag, entries);
    cluster.log(node, actor, 'snapshot', { tag, keyspaces: names });
    await this.time.sleepUntil(cluster.clock.now() + cluster.timing.flushMs);
  }

  /** `DELETE /storage_service/snapshots?tag=&kn=`: no tag removes all. */
  deleteSnapshot(node: SimNode, tag: string | undefined, keyspaces: string[] | undefined, actor: SimActor): void {
    this.time.sync();
    const tags = tag === undefined ? [...node.snapshots.keys()] : [tag];
    for (const t of tags) {
      const entries = node.snapshots.get(t);
      if (!entries) continue;
      const kept = keyspaces && keyspaces.length > 0 ? entries.filter((e) => !keyspaces.includes(e.ks)) : [];
      if (kept.length > 0) node.snapshots.set(t, kept);
      else node.snapshots.delete(t);
    }
    this.cluster.log(node, actor, 'snapshot-delete', { ...(tag === undefined ? {} : { tag }) });
  }
}
