import type { ClusterInventory } from '@scylla-cp/core';
import type { StreamRangesCommand } from '@scylla-cp/raft';
import { writeInventoryFile } from './inventory-output.js';
import { Membership } from './membership.js';
import { renderMetrics } from './metrics-exposition.js';
import { NodeCompactions } from './node-compactions.js';
import { ProcessLife } from './process-life.js';
import { wireRaftSimCleanup } from './raft-sim-cleanup.js';
import { RaftSimTopology } from './raft-sim-topology.js';
import { RepairService, type RepairState } from './repair-service.js';
import { handleRestRequest, type SimRestReply } from './rest-api.js';
import { SimClusterState } from './sim-cluster-state.js';
import type { ShardCompactions, SimClusterControl, SimInventoryOptions, SimNodeSummary, SystemctlResult } from './sim-cluster-view.js';
import { SimConnectionError } from './sim-errors.js';
import type { ActiveFault } from './sim-faults.js';
import { SimHttpServers } from './sim-http.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import type { SimClusterOptions } from './sim-options.js';
import { SimSystemd } from './sim-systemd.js';
import { StorageService } from './storage-service.js';
import type { StreamingPercent } from './streaming-progress.js';
import { TopologyStreaming } from './topology-streaming.js';

/**
 * A simulated ScyllaDB cluster. The simulation core is pure and driven by the injected
 * `Clock` (use core's `VirtualClock` for large in-process tests, no sockets needed);
 * {@link start} adds one REST API server, one Prometheus `/metrics` server and one control
 * server (`/_sim/*`: shell, faults, oplog) per node on 127.0.0.1, on ephemeral ports.
 *
 * The state and its lookups are {@link SimClusterState}'s; each operation below is carried out
 * by one subsystem: `SimSystemd` (process life), `StorageService` (drain, cleanup, flush,
 * snapshots), `NodeCompactions`, `RepairService`, `Membership` and `TopologyStreaming`.
 *
 * ```ts
 * const cluster = new SimCluster({ nodesPerZone: 2 });
 * await cluster.start();
 * await cluster.writeInventory('/tmp/sim-inventory.yaml');
 * // ... run workflows; then:
 * await cluster.stop();
 * ```
 */
export class SimCluster extends SimClusterState implements SimClusterControl {
  readonly #compactions = new NodeCompactions(this, this.time, this.prng);
  readonly #life = new ProcessLife(this, this.time, this.#compactions);
  readonly #storage = new StorageService(this, this.time, this.#life);
  readonly #repairs = new RepairService(this, this.time, this.#life);
  readonly #streaming = new TopologyStreaming(this, this.time, this.#life);
  readonly #membership = new Membership(this, this.time, this.#life, this.#compactions, {
    provision: (dc, rack) => this.addNode(dc, rack),
    serve: (node) => this.#http?.addNode(node),
  });
  readonly #systemd = new SimSystemd(this, this.time, this.#life, this.#compactions, this.#membership);
  #http: SimHttpServers | undefined;

  constructor(options: SimClusterOptions = {}) {
    super(options);
    this.oplog.subscribe((e) => this.#life.killOn(e.node, e.action));
    wireRaftSimCleanup(this); // the Raft topology's node agents do the per-node cleanup (raft-sim-cleanup.ts)
  }

  protected override streamRanges(cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal): Promise<void> {
    return this.#streaming.stream(cmd, nodeId, signal);
  }

  protected override faultChanged(node: SimNode, change: { type: 'injected' | 'cleared'; fault: ActiveFault }): void {
    this.#compactions.faultChanged(node, change);
  }

  #resolve(nodeOrId: SimNode | string): SimNode {
    return typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
  }

  // ---------------------------------------------------------------- what nodes report

  /** Compaction figures per shard at the current instant. */
  compactions(node: SimNode): ShardCompactions[] {
    return this.#compactions.figures(node);
  }

  /** Progress (0..1) of the running compaction of a shard, for `/compaction_manager/compactions`. */
  compactionProgress(node: SimNode): number {
    return this.#compactions.progress(node);
  }

  /** `"Drained <remaining>/<total> ColumnFamilies"` numbers. */
  drainProgress(node: SimNode): { remaining: number; total: number } {
    return this.#storage.drainProgress(node);
  }

  /** A topology request's streaming progress now, in percent (`undefined` before it streams). */
  streamingPercent(requestId: string): StreamingPercent | undefined {
    return this.#streaming.percent(requestId);
  }

  /** A one-line-per-node summary (also served at `GET /_sim/state`). */
  summary(): SimNodeSummary[] {
    this.sync();
    return this.nodes.map((n) => {
      const c = this.compactions(n);
      return {
        id: n.id,
        address: n.address,
        dc: n.dc,
        rack: n.rack,
        hostId: n.hostId,
        hostUp: n.hostUp,
        unit: n.unit,
        process: n.process,
        mode: n.mode,
        gossip: n.gossipUp,
        nativeTransport: n.nativeTransport,
        left: n.left,
        pendingCompactions: c.reduce((a, x) => a + x.pending, 0),
        activeCompactions: c.reduce((a, x) => a + x.active, 0),
      };
    });
  }

  // ---------------------------------------------------------------- process life (SimSystemd)

  /** `systemctl start scylla-server`: exit 0 at READY=1 (before NORMAL), exit 1 if the process dies while starting. */
  systemctlStart(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<SystemctlResult> {
    return this.#systemd.start(nodeOrId, actor);
  }

  /** `systemctl stop scylla-server`: a graceful shutdown taking `stopMs`; exit 0, at once if already stopped. */
  systemctlStop(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<SystemctlResult> {
    return this.#systemd.stop(nodeOrId, actor);
  }

  /** `systemctl restart scylla-server`: stop, then start. */
  systemctlRestart(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<SystemctlResult> {
    return this.#systemd.restart(nodeOrId, actor);
  }

  /**
   * Kills a node: its scylla process dies at once (unit `failed`); with `host: true` the whole
   * host powers off (its shell becomes unreachable too). Peers see it down after
   * `failureDetectionDelayMs`. The node stays down until `systemctl start` (or {@link powerOn}).
   */
  kill(nodeOrId: SimNode | string, options: { host?: boolean } = {}): void {
    this.#systemd.kill(this.#resolve(nodeOrId), options.host ?? false);
  }

  /** Reboots the host: scylla stops at once (peers are told), the host is away for `rebootMs`, then scylla starts. */
  reboot(nodeOrId: SimNode | string, actor: SimActor = 'control'): void {
    this.#systemd.reboot(this.#resolve(nodeOrId), actor);
  }

  /** Powers a host back on (after `kill(..., { host: true })`); scylla-server starts as it is enabled. */
  powerOn(nodeOrId: SimNode | string): void {
    this.#systemd.powerOn(this.#resolve(nodeOrId));
  }

  // ---------------------------------------------------------------- storage service (StorageService)

  /** `POST /storage_service/drain`: DRAINING, then DRAINED after `drainMs`; rejects with a reset if the node dies meanwhile. */
  drain(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<void> {
    return this.#storage.drain(nodeOrId, actor);
  }

  /** REST: `POST /storage_service/gossiping` / `DELETE` (start / stop gossip). */
  setGossip(node: SimNode, on: boolean, actor: SimActor): void {
    this.#storage.setGossip(node, on, actor);
  }

  /** REST: `POST` / `DELETE /storage_service/native_transport`. */
  setNativeTransport(node: SimNode, on: boolean, actor: SimActor): void {
    this.#storage.setNativeTransport(node, on, actor);
  }

  /** `POST /storage_service/keyspace_cleanup/{ks}`: synchronous; takes `cleanupMs`. */
  cleanup(node: SimNode, keyspace: string, actor: SimActor = 'rest'): Promise<number> {
    return this.#storage.cleanup(node, keyspace, actor);
  }

  /** `POST /storage_service/keyspace_flush/{ks}` (or every keyspace when `keyspace` is undefined). */
  flush(node: SimNode, keyspace: string | undefined, actor: SimActor = 'rest'): Promise<void> {
    return this.#storage.flush(node, keyspace, actor);
  }

  /** `POST /storage_service/snapshots?tag=&kn=`: 500 if the tag exists in one of the keyspaces. */
  snapshot(node: SimNode, tag: string, keyspaces: string[] | undefined, actor: SimActor = 'rest'): Promise<void> {
    return this.#storage.snapshot(node, tag, keyspaces, actor);
  }

  /** `DELETE /storage_service/snapshots?tag=&kn=`: no tag removes all. */
  deleteSnapshot(node: SimNode, tag: string | undefined, keyspaces: string[] | undefined, actor: SimActor = 'rest'): void {
    this.#storage.deleteSnapshot(node, tag, keyspaces, actor);
  }

  // ---------------------------------------------------------------- repair (RepairService)

  /** `POST /storage_service/repair_async/{ks}`: returns the repair id (1, 2, ... per process). */
  startRepair(node: SimNode, keyspace: string, actor: SimActor = 'rest'): number {
    return this.#repairs.start(node, keyspace, actor);
  }

  /** `GET /storage_service/repair_async/{ks}?id=`: `RUNNING`, `SUCCESSFUL` or `FAILED`; 400 for an unknown id. */
  repairStatus(node: SimNode, id: number): RepairState {
    return this.#repairs.status(node, id);
  }

  /** Waits for a repair to finish (`repair_status` long-poll); `timeoutMs` undefined waits forever. */
  awaitRepair(node: SimNode, id: number, timeoutMs: number | undefined): Promise<RepairState> {
    return this.#repairs.untilDone(node, id, timeoutMs);
  }

  /** Ids of running repairs. */
  activeRepairs(node: SimNode): number[] {
    return this.#repairs.active(node);
  }

  /** `POST /storage_service/force_terminate_repair`: every running repair fails. */
  terminateRepairs(node: SimNode, actor: SimActor = 'rest'): void {
    this.#repairs.terminate(node, actor);
  }

  // ---------------------------------------------------------------- membership (Membership, TopologyStreaming)

  /** `POST /storage_service/decommission`: LEAVING, then DECOMMISSIONED after `decommissionMs` (see `Membership.decommission`). */
  decommission(node: SimNode, actor: SimActor = 'rest'): Promise<void> {
    return this.#membership.decommission(node, actor);
  }

  /** `POST /storage_service/remove_node?host_id=`: removes a dead node from the ring, coordinated by `coordinator`. */
  removeNode(coordinator: SimNode, hostId: string, actor: SimActor = 'rest'): Promise<void> {
    return this.#membership.removeNode(coordinator, hostId, actor);
  }

  /** `POST /storage_service/rebuild?source_dc=`: a `rebuild` request to the Raft topology; takes `rebuildMs`. */
  rebuild(node: SimNode, sourceDc: string | undefined, actor: SimActor = 'rest'): Promise<void> {
    return this.#membership.rebuild(node, sourceDc, actor);
  }

  /**
   * Adds a new node to `dc`/`rack` that is not a member yet (issue 19): its process is stopped
   * and it is in no view of the ring; the inventory lists it with `new: true` (and
   * `replaces: <id>` when `replaces` is given, for the inventory only). Its first
   * `systemctl start` asks the Raft topology to join it, or, when its scylla.yaml sets
   * `replace_node_first_boot: <host id>`, to replace that node (see `Membership.firstBootJoin`).
   */
  addNewNode(spec: { dc: string; rack: string; replaces?: string }): Promise<SimNode> {
    return this.#membership.addNewNode(spec);
  }

  /**
   * Bootstraps a new node into `dc`/`rack` through a `join` request to the Raft topology group
   * (the default topology; not with `{ topology: 'memory' }`). The node is listed (mode JOINING,
   * `nodes/joining`) at once; its streaming takes `timing.bootstrapMs`; resolves with it once
   * NORMAL. If it dies meanwhile the coordinator rolls the join back, the node ends `left`, and
   * this rejects with a 500-style runtime error.
   */
  bootstrapNode(spec: { dc: string; rack: string }, actor: SimActor = 'control'): Promise<SimNode> {
    return this.#membership.bootstrapNode(spec, actor);
  }

  /**
   * Replaces the dead node `deadId` by a new node in the same dc and rack through a `replace`
   * request (the default topology; not with `{ topology: 'memory' }`); the new node streams for
   * `timing.bootstrapMs`, takes over the dead node's tokens, and the dead node ends `left`.
   * Rejects when the Raft topology rejects the request (e.g. the node is alive).
   */
  replaceNode(deadId: string, actor: SimActor = 'control'): Promise<SimNode> {
    return this.#membership.replaceNode(deadId, actor);
  }

  /**
   * Stalls (`true`) or resumes (`false`) the topology streaming of `nodeId` (the streaming node:
   * the joining or replacing node, the leaving node): while stalled its stream makes no progress
   * and does not end, so the request's task-manager progress stops rising.
   */
  stallStreaming(nodeId: string, stalled = true): void {
    this.#streaming.stall(nodeId, stalled);
  }

  // ---------------------------------------------------------------- in-process access

  /**
   * Sends a REST request to a node in-process (no socket), exactly as the HTTP server would
   * answer it. Rejects with {@link SimConnectionError} when the node would refuse the connection.
   * `url` is a path with an optional query, e.g. `/storage_service/repair_async/ks1?id=1`.
   */
  request(nodeId: string, method: string, url: string): Promise<SimRestReply> {
    return handleRestRequest(this, this.node(nodeId), method, url, 'rest');
  }

  /** The node's Prometheus exposition text, in-process. Throws {@link SimConnectionError} when not listening. */
  scrape(nodeId: string): string {
    const node = this.node(nodeId);
    this.sync();
    if (!this.metricsAccepting(node)) throw new SimConnectionError('ECONNREFUSED', `connect ECONNREFUSED (metrics of ${node.id})`);
    return renderMetrics(this, node);
  }

  /**
   * One scrape target per node, for a Prometheus stand-in: `instance` is the node's
   * `connection.prometheus_target` of {@link inventory}; `scrape()` returns the exposition text,
   * or `undefined` while the node's metrics endpoint refuses connections.
   */
  scrapeTargets(): { nodeId: string; instance: string; scrape(): string | undefined }[] {
    const inv = this.inventory();
    return inv.nodes.map((n) => ({
      nodeId: n.id,
      instance: String(n.connection['prometheus_target']),
      scrape: () => {
        this.sync();
        const node = this.node(n.id);
        return this.metricsAccepting(node) ? renderMetrics(this, node) : undefined;
      },
    }));
  }

  // ---------------------------------------------------------------- HTTP mode and inventory

  /**
   * Starts one REST API server, one metrics server and one control server per node on
   * `options.host` (ephemeral ports). Listeners follow the simulation: a stopped node refuses
   * connections. Idempotent.
   */
  async start(): Promise<void> {
    if (this.#http) return;
    const http = new SimHttpServers(this);
    this.#http = http;
    await http.start();
  }

  /**
   * Closes every server started by {@link start}, and stops the Raft topology group (its servers
   * run on the cluster's clock: with the system clock their timers would keep the process alive).
   * The cluster's state stays readable; topology operations end after a stop.
   */
  async stop(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    await http?.stop();
    if (this.topology instanceof RaftSimTopology) await this.topology.stop();
  }

  /** Ports of a node's servers (after {@link start}). */
  ports(nodeId: string): { api: number; metrics: number; control: number } {
    if (!this.#http) throw new Error('SimCluster: start() the cluster before asking for its ports');
    return this.#http.ports(this.node(nodeId));
  }

  /**
   * The cluster as core's `ClusterInventory`: per node `id`, `address` (the simulated IP), `dc`,
   * `rack`, `zone`, `labels: { sim: 'true' }` and `connection`:
   * - after {@link start}: `scylla_api: { host, port }` (the node's REST server),
   *   `prometheus_target: 'host:port'` (its metrics server, the Prometheus `instance` label) and
   *   `shell: { kind: 'sim', url }` (its control server, for `SimHttpShell`);
   * - before (in-process use): `scylla_api: { host: <address>, port: 10000 }`,
   *   `prometheus_target: '<address>:9180'`, `shell: { kind: 'sim' }`; reach the nodes with
   *   {@link request}, {@link scrape}, `simRequestPool` and `simShellProvider`.
   */
  inventory(options: SimInventoryOptions = {}): ClusterInventory {
    const started = this.#http !== undefined;
    return {
      name: this.options.name,
      connection: options.prometheusUrl === undefined ? {} : { prometheus: { url: options.prometheusUrl } },
      nodes: this.nodes.map((n) => {
        const host = this.options.host;
        const p = started ? this.ports(n.id) : undefined;
        return {
          id: n.id,
          address: n.address,
          dc: n.dc,
          rack: n.rack,
          zone: n.zone,
          labels: { sim: 'true' },
          ...(n.pendingJoin ? { new: true as const } : {}),
          ...(n.pendingJoin && n.replacesId !== undefined ? { replaces: n.replacesId } : {}),
          connection: p
            ? {
                scylla_api: { host, port: p.api },
                prometheus_target: `${host}:${p.metrics}`,
                shell: { kind: 'sim', url: `http://${host}:${p.control}` },
              }
            : {
                scylla_api: { host: n.address, port: 10000 },
                prometheus_target: `${n.address}:9180`,
                shell: { kind: 'sim' },
              },
        };
      }),
    };
  }

  /** Writes {@link inventory} as YAML (the CLI's inventory format) to `path`, atomically. */
  async writeInventory(path: string, options: SimInventoryOptions = {}): Promise<void> {
    await writeInventoryFile(this.inventory(options), path);
  }
}
