import { Prng, SystemClock, type Clock, type ClusterInventory } from '@scylla-cp/core';
import { writeInventoryFile } from './inventory-output.js';
import { renderMetrics } from './metrics-exposition.js';
import { handleRestRequest, type SimRestReply } from './rest-api.js';
import { SimHttpServers } from './sim-http.js';
import { SCYLLA_UNIT, SCYLLA_YAML_PATH } from './node-provisioning.js';
import type { ShardCompactions, SimClusterControl, SimInventoryOptions, SimNodeSummary, SystemctlResult } from './sim-cluster-view.js';
import { flipUuid, hash, uuid } from './util.js';
import { parse as parseYaml } from 'yaml';
import { SimFaultInjector } from './fault-injector.js';
import { isLocalStrategy, replicasOf, type PlacementNode } from './replication.js';
import { Scheduler } from './scheduler.js';
import { SimConnectionError, SimHttpError, runtimeError } from './sim-errors.js';
import type { ActiveFault, SimOperation } from './sim-faults.js';
import { SimNode, type ApiGroup, type OperationMode } from './sim-node.js';
import { SimOpLog, type SimActor } from './sim-oplog.js';
import { resolveSimOptions, type ResolvedSimOptions, type SimClusterOptions, type SimKeyspaceSpec, type SimTiming } from './sim-options.js';
import { StreamingProgress, type StreamingPercent } from './streaming-progress.js';
import { TokenRingTopology, type SimTopology } from './topology.js';
import { RaftSimTopology } from './raft-sim-topology.js';
import type { StreamRangesCommand } from '@scylla-cp/raft';

const SYSTEM_KEYSPACES: SimKeyspaceSpec[] = [
  { name: 'system', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' }, tables: ['local', 'peers', 'compaction_history'] },
  { name: 'system_schema', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' }, tables: ['keyspaces', 'tables', 'columns'] },
  { name: 'system_distributed', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: 3 }, tables: ['cdc_streams_descriptions_v2', 'service_levels'] },
];

/**
 * A simulated ScyllaDB cluster. The simulation core is pure and driven by the injected
 * {@link Clock} (use core's `VirtualClock` for large in-process tests, no sockets needed);
 * {@link start} adds one REST API server, one Prometheus `/metrics` server and one control
 * server (`/_sim/*`: shell, faults, oplog) per node on 127.0.0.1, on ephemeral ports.
 *
 * ```ts
 * const cluster = new SimCluster({ nodesPerZone: 2 });
 * await cluster.start();
 * await cluster.writeInventory('/tmp/sim-inventory.yaml');
 * // ... run workflows; then:
 * await cluster.stop();
 * ```
 */
export class SimCluster implements SimClusterControl {
  /** Options with defaults applied (timings already multiplied by `timeScale`). */
  readonly options: ResolvedSimOptions;
  /** The clock driving the simulation. */
  readonly clock: Clock;
  /** The operation log. */
  readonly oplog: SimOpLog = new SimOpLog(() => this.sync());
  /** Fault injection (see {@link SimFaultInjector}). */
  readonly faults: SimFaultInjector;
  /** Token ownership and membership changes: a `RaftSimTopology` by default, a `TokenRingTopology` with `{ topology: 'memory' }`. */
  readonly topology: SimTopology;
  /** Every keyspace (user keyspaces, then system keyspaces if enabled). */
  readonly keyspaces: readonly SimKeyspaceSpec[];
  /** @internal */
  readonly scheduler = new Scheduler();
  /** @internal */
  readonly placement = new Map<string, PlacementNode>();

  readonly #nodes: SimNode[] = [];
  readonly #byId = new Map<string, SimNode>();
  readonly #byAddress = new Map<string, SimNode>();
  readonly #prng: Prng;
  #idPrng: Prng;
  readonly #schemaVersion: string;
  readonly #changeListeners: (() => void)[] = [];
  readonly #streaming = new StreamingProgress();
  readonly #replicaCache = new Map<string, { ring: readonly unknown[]; sets: { start: string; end: string; replicas: string[] }[] }>();
  #http: SimHttpServers | undefined;

  constructor(options: SimClusterOptions = {}) {
    this.options = resolveSimOptions(options);
    this.clock = options.clock ?? new SystemClock();
    const root = new Prng(this.options.seed);
    const idPrng = root.fork();
    this.#prng = root.fork();
    this.faults = new SimFaultInjector(
      { nowMs: () => this.clock.now(), onFaultsChanged: (c) => this.#onFaultsChanged(c) },
      root.fork(),
    );
    const names = new Set<string>();
    const keyspaces = [...this.options.keyspaces, ...(this.options.systemKeyspaces ? SYSTEM_KEYSPACES : [])];
    for (const ks of keyspaces) {
      if (names.has(ks.name)) throw new Error(`SimCluster: keyspace "${ks.name}" is declared twice`);
      names.add(ks.name);
    }
    this.keyspaces = keyspaces.map((k) => ({ ...k, tables: k.tables ?? ['t1'] }));
    this.#schemaVersion = uuid(idPrng);
    const now = this.clock.now();
    const tokens = new Map<string, string[]>();
    const usedTokens = new Set<string>();
    this.options.datacenters.forEach((dc, d) => {
      let k = 0;
      for (const zone of dc.zones) {
        for (let j = 1; j <= this.options.nodesPerZone; j++, k++) {
          const node = new SimNode({
            id: `${dc.name}-${zone}-n${j}`,
            address: `10.${d + 1}.${Math.floor(k / 250)}.${(k % 250) + 1}`,
            dc: dc.name,
            rack: zone,
            zone,
            hostId: uuid(idPrng),
            index: this.#nodes.length,
            shards: this.options.shardsPerNode,
            nowMs: now,
            schemaVersion: this.#schemaVersion,
          });
          if (this.#byId.has(node.id)) throw new Error(`SimCluster: duplicate node id "${node.id}" (zone names must be unique within a datacenter)`);
          this.#nodes.push(node);
          this.#byId.set(node.id, node);
          this.#byAddress.set(node.address, node);
          this.placement.set(node.id, { dc: node.dc, rack: node.rack });
          const t: string[] = [];
          while (t.length < this.options.tokensPerNode) {
            const tok = BigInt.asIntN(64, (BigInt(idPrng.nextUint32()) << 32n) | BigInt(idPrng.nextUint32())).toString();
            if (usedTokens.has(tok)) continue;
            usedTokens.add(tok);
            t.push(tok);
          }
          tokens.set(node.id, t);
          for (const g of ALL_GROUPS) node.groups.add(g);
          node.files.set(SCYLLA_YAML_PATH, { content: this.#initialScyllaYaml(node), mode: 0o644, owner: 'root:root', mtimeMs: now });
          node.files.set('/etc/scylla/cassandra-rackdc.properties', {
            content: `dc=${node.dc}\nrack=${node.rack}\nprefer_local=true\n`,
            mode: 0o644,
            owner: 'root:root',
            mtimeMs: now,
          });
          node.otherUnits.set('scylla-node-exporter', true);
        }
      }
    });
    this.topology =
      this.options.topology === 'raft'
        ? new RaftSimTopology({
            nodes: this.#nodes.map((n) => ({ id: n.id, address: n.address, dc: n.dc, rack: n.rack, tokens: tokens.get(n.id) ?? [] })),
            voters: pickVoters(this.#nodes, this.options.raftVoters),
            seed: this.options.seed,
            numTokens: this.options.tokensPerNode,
            stream: (cmd, nodeId, signal) => this.#stream(cmd, nodeId, signal),
            clock: this.clock,
          })
        : new TokenRingTopology(tokens);
    this.#idPrng = idPrng;
    this.oplog.subscribe((e) => this.#onOplog(e.node, e.action));
  }

  // ---------------------------------------------------------------- lookup

  /** Every node, in inventory order (datacenter, zone, number). */
  get nodes(): readonly SimNode[] {
    return this.#nodes;
  }

  /** The timing knobs in effect (milliseconds, already scaled). */
  get timing(): Readonly<SimTiming> {
    return this.options.timing;
  }

  /** The node with this id; throws naming the known ids if there is none. */
  node(id: string): SimNode {
    const n = this.#byId.get(id);
    if (!n) throw new Error(`SimCluster: no node "${id}"; nodes are ${this.#nodes.map((x) => x.id).join(', ')}`);
    return n;
  }

  /** The node with this simulated address, if any. */
  nodeByAddress(address: string): SimNode | undefined {
    return this.#byAddress.get(address);
  }

  /** The node with this host id, if any. */
  nodeByHostId(hostId: string): SimNode | undefined {
    return this.#nodes.find((n) => n.hostId === hostId);
  }

  /** The keyspace with this name, if any. */
  keyspace(name: string): SimKeyspaceSpec | undefined {
    return this.keyspaces.find((k) => k.name === name);
  }

  // ---------------------------------------------------------------- time

  /** Applies every state change due by now (clock time). Every read path calls it first. */
  sync(): void {
    const ran = this.scheduler.runDue(this.clock.now());
    if (ran > 0) this.#changed();
  }

  /** The time to stamp on a state change: the scheduled instant inside an event, else now. */
  #at(): number {
    return this.scheduler.current ?? this.clock.now();
  }

  async #sleepUntil(t: number): Promise<void> {
    for (;;) {
      const d = t - this.clock.now();
      if (d <= 0) break;
      await this.clock.sleep(d);
    }
    this.sync();
  }

  #schedule(node: SimNode, at: number, run: () => void): void {
    const boot = node.boot;
    this.scheduler.schedule(at, () => {
      if (node.boot !== boot || !node.process) return;
      run();
      this.#changed();
    });
  }

  /** @internal Registers a listener called after state changes (the HTTP layer reconciles listeners). */
  onChange(listener: () => void): () => void {
    this.#changeListeners.push(listener);
    return () => {
      const i = this.#changeListeners.indexOf(listener);
      if (i >= 0) this.#changeListeners.splice(i, 1);
    };
  }

  #changed(): void {
    for (const l of [...this.#changeListeners]) l();
  }

  /** @internal Appends to the oplog at the current simulated instant. */
  log(node: SimNode, actor: SimActor, action: string, detail: Record<string, unknown> = {}): void {
    this.oplog.append(this.#at(), node.id, actor, action, detail);
  }

  // ---------------------------------------------------------------- views

  /**
   * Whether `viewer` currently sees `target` up through gossip: a node's own view of itself is
   * "up" unless it announced shutdown; peers see a gossip start after `gossipPropagationMs`. A
   * gossip stop that the node announced (drain, `systemctl stop`, a clean reboot: Scylla's
   * `do_stop_gossiping` sends `STATUS=shutdown,true` to its live peers) is seen at once; a silent
   * one (a crash, a killed host) only after `failureDetectionDelayMs`.
   */
  seesUp(viewer: SimNode, target: SimNode): boolean {
    if (target.left) return false;
    const now = this.#at();
    if (viewer === target) return !target.shutdownAnnounced && target.process;
    if (target.gossipUp) return now >= target.gossipSinceMs + this.timing.gossipPropagationMs;
    if (target.shutdownAnnounced) return false;
    return now < target.gossipSinceMs + this.timing.failureDetectionDelayMs;
  }

  /** Nodes that are gossip members (every node that has not left the ring, except new nodes not started yet). */
  members(): SimNode[] {
    return this.#nodes.filter((n) => !n.left && !(n.pendingJoin && !n.process));
  }

  /** Addresses `viewer` lists in `/gossiper/endpoint/live`, sorted. */
  liveEndpoints(viewer: SimNode): string[] {
    // nodes are created in address order, so no sort is needed
    return this.members()
      .filter((n) => this.seesUp(viewer, n))
      .map((n) => n.address);
  }

  /** Addresses `viewer` lists in `/gossiper/endpoint/down`, sorted (never itself). */
  downEndpoints(viewer: SimNode): string[] {
    return this.members()
      .filter((n) => n !== viewer && !this.seesUp(viewer, n))
      .map((n) => n.address);
  }

  /** Replica node ids of every token range of a keyspace, by ring position (range ends at ring[i]). */
  replicaSets(ks: SimKeyspaceSpec, localNode?: string): { start: string; end: string; replicas: string[] }[] {
    const ring = this.topology.ring();
    const key = isLocalStrategy(ks) ? `${ks.name}|${localNode ?? ''}` : ks.name;
    const cached = this.#replicaCache.get(key);
    if (cached && cached.ring === ring) return cached.sets;
    const sets = ring.map((e, i) => ({
      start: ring[(i - 1 + ring.length) % ring.length]!.text,
      end: e.text,
      replicas: replicasOf(ks, ring, i, this.placement, localNode),
    }));
    this.#replicaCache.set(key, { ring, sets });
    return sets;
  }

  /** Every node sharing a token range of `ks` with `node` (including itself). */
  replicaPeers(node: SimNode, ks: SimKeyspaceSpec): SimNode[] {
    const ids = new Set<string>();
    for (const r of this.replicaSets(ks, node.id)) if (r.replicas.includes(node.id)) for (const x of r.replicas) ids.add(x);
    return [...ids].map((id) => this.node(id));
  }

  /**
   * The node's settings from scylla.yaml as read at its last start (before any start: the file
   * as it is now). Unparseable text gives `{}`.
   */
  configOf(node: SimNode): Record<string, unknown> {
    if (!node.configLoaded) {
      node.configLoaded = true;
      try {
        const parsed = parseYaml(node.files.get(SCYLLA_YAML_PATH)?.content ?? '') as unknown;
        node.config = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
      } catch {
        node.config = {};
      }
    }
    return node.config;
  }

  /** The schema version a node reports. */
  schemaVersionOf(node: SimNode): string {
    return this.faults.schemaDisagrees(node.id) ? flipUuid(node.schemaVersion) : node.schemaVersion;
  }

  /** Whether the node's REST API accepts connections now. */
  apiAccepting(node: SimNode): boolean {
    return node.hostUp && node.process && node.apiListening && !this.faults.refuses(node.id, 'api');
  }

  /** Whether the node's metrics endpoint accepts connections now. */
  metricsAccepting(node: SimNode): boolean {
    return node.hostUp && node.process && node.apiListening && !this.faults.refuses(node.id, 'metrics');
  }

  /** Compaction figures per shard at the current instant. */
  compactions(node: SimNode): ShardCompactions[] {
    const out: ShardCompactions[] = [];
    const c = node.compaction;
    const now = this.#at();
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
  compactionProgress(node: SimNode): number {
    const c = node.compaction;
    if (!c) return 0;
    const now = this.#at();
    const t = c.frozenAtMs === undefined ? now : Math.min(now, c.frozenAtMs);
    return (Math.max(0, t - c.startAtMs) % c.taskMs) / c.taskMs;
  }

  /** A one-line-per-node summary (also served at `GET /_sim/state`). */
  summary(): SimNodeSummary[] {
    this.sync();
    return this.#nodes.map((n) => {
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

  // ---------------------------------------------------------------- state changes

  #setMode(node: SimNode, mode: OperationMode, actor: SimActor): void {
    if (node.mode === mode) return;
    node.mode = mode;
    this.log(node, actor, 'mode', { mode });
  }

  #gossipStop(node: SimNode, actor: SimActor, announced: boolean): void {
    if (node.gossipUp) {
      node.gossipUp = false;
      node.gossipSinceMs = this.#at();
      this.log(node, actor, 'gossip-stop', {});
    }
    if (announced) node.shutdownAnnounced = true;
  }

  #gossipStart(node: SimNode, actor: SimActor): void {
    node.shutdownAnnounced = false;
    if (!node.gossipUp) {
      node.gossipUp = true;
      node.gossipSinceMs = this.#at();
      this.log(node, actor, 'gossip-start', {});
    }
  }

  #transport(node: SimNode, on: boolean, actor: SimActor): void {
    if (node.nativeTransport === on) return;
    node.nativeTransport = on;
    this.log(node, actor, on ? 'native-transport-start' : 'native-transport-stop', {});
  }

  /** The process stops (cleanly or not). */
  #processDown(node: SimNode): void {
    if (this.topology instanceof RaftSimTopology) this.topology.markDown(node.id);
    const c = this.compactions(node);
    node.completedCompactions = c.map((x) => x.completed);
    node.process = false;
    node.apiListening = false;
    node.groups.clear();
    node.nativeTransport = false;
    if (node.gossipUp) {
      node.gossipUp = false;
      node.gossipSinceMs = this.#at();
    }
    node.compaction = undefined;
    node.cleanups = [];
    node.drain = undefined;
    node.boot += 1; // invalidates every scheduled event of the old process
  }

  /** REST: `POST /storage_service/gossiping` / `DELETE` (start / stop gossip). */
  setGossip(node: SimNode, on: boolean, actor: SimActor): void {
    this.sync();
    if (on) this.#gossipStart(node, actor);
    else this.#gossipStop(node, actor, true);
    this.#changed();
  }

  /** REST: `POST` / `DELETE /storage_service/native_transport`. */
  setNativeTransport(node: SimNode, on: boolean, actor: SimActor): void {
    this.sync();
    this.#transport(node, on, actor);
    this.#changed();
  }

  #maybeDie(node: SimNode, op: SimOperation, durationMs: number): void {
    const d = this.faults.dieDuring(node.id, op);
    if (!d) return;
    const at = this.#at() + (d.afterMs ?? durationMs / 2);
    this.#schedule(node, at, () => this.#kill(node, d.host, 'fault', `died during ${op}`));
  }

  /**
   * `POST /storage_service/drain`: DRAINING, then (after `drainMs`) DRAINED with native transport
   * and gossip off. Resolves when drained; a second call while draining waits for the same drain;
   * a call on a DRAINED node returns at once. Rejects with a reset if the node dies meanwhile.
   */
  async drain(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<void> {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    this.#assertRunning(node);
    if (node.mode === 'DRAINED') {
      this.log(node, actor, 'drain', { alreadyDrained: true });
      return;
    }
    const boot = node.boot;
    if (node.mode !== 'DRAINING') {
      const t = this.clock.now();
      const total = this.keyspaces.reduce((a, k) => a + (k.tables?.length ?? 0), 0);
      node.drain = { totalCfs: total, startAtMs: t, endAtMs: t + this.timing.drainMs };
      this.log(node, actor, 'drain', {});
      this.#setMode(node, 'DRAINING', actor);
      this.#schedule(node, t + this.timing.drainMs * 0.3, () => {
        this.#transport(node, false, 'sim');
        this.#gossipStop(node, 'sim', true);
      });
      this.#schedule(node, t + this.timing.drainMs, () => {
        this.#setMode(node, 'DRAINED', 'sim');
        this.log(node, 'sim', 'drained', {});
      });
      this.#maybeDie(node, 'drain', this.timing.drainMs);
      this.#changed();
    }
    await this.#waitFor(() => node.boot !== boot, node.drain!.endAtMs);
    if (node.boot !== boot) throw new SimConnectionError('ECONNRESET', `node ${node.id} died while draining`);
  }

  /** `"Drained <remaining>/<total> ColumnFamilies"` numbers. */
  drainProgress(node: SimNode): { remaining: number; total: number } {
    const d = node.drain;
    if (!d) return { remaining: 0, total: 0 };
    const now = this.#at();
    const frac = Math.min(1, Math.max(0, (now - d.startAtMs) / (d.endAtMs - d.startAtMs || 1)));
    return { remaining: Math.ceil(d.totalCfs * (1 - frac)), total: d.totalCfs };
  }

  #assertRunning(node: SimNode): void {
    if (!this.apiAccepting(node)) throw new SimConnectionError('ECONNREFUSED', `connect ECONNREFUSED (node ${node.id} is not listening)`);
  }

  /**
   * `systemctl start scylla-server`: boots the process through the startup phases of
   * {@link SimTiming}; resolves (exit 0) at READY=1 ("starting storage service"), before the node
   * is NORMAL. Exit 1 if the process dies during startup.
   */
  async systemctlStart(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<SystemctlResult> {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    if (!node.hostUp) return { exitCode: 1, stdout: '', stderr: `host ${node.id} is powered off\n` };
    if (node.unit === 'active') return ok();
    if (node.unit === 'deactivating') {
      await this.#waitFor(() => node.unit !== 'deactivating');
    }
    if (node.unit !== 'activating') {
      this.log(node, actor, 'systemctl-start', {});
      this.#boot(node);
    }
    const boot = node.boot;
    await this.#waitFor(() => node.boot !== boot || node.unit !== 'activating');
    if ((node.unit as string) === 'active' && node.boot === boot) return ok();
    return {
      exitCode: 1,
      stdout: '',
      stderr: `Job for ${SCYLLA_UNIT}.service failed because the control process exited with error code.\nSee "systemctl status ${SCYLLA_UNIT}.service" and "journalctl -xeu ${SCYLLA_UNIT}.service" for details.\n`,
    };
  }

  /**
   * Waits in clock time until `pred` holds or `deadline` passes, waking at every scheduled event
   * and at every state change (a kill, a fault). Without a deadline and with nothing scheduled it
   * waits for the next state change.
   */
  async #waitFor(pred: () => boolean, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.sync();
    while (!pred() && this.clock.now() < deadline) {
      const next = this.scheduler.nextAt();
      const target = Math.min(deadline, next ?? Number.POSITIVE_INFINITY);
      const ac = new AbortController();
      let woke: () => void = () => {};
      const changed = new Promise<void>((resolve) => (woke = resolve));
      const off = this.onChange(() => {
        ac.abort();
        woke();
      });
      try {
        if (target === Number.POSITIVE_INFINITY) await changed;
        else await this.clock.sleep(Math.max(0, target - this.clock.now()), ac.signal).catch(() => undefined);
      } finally {
        off();
        ac.abort();
      }
      this.sync();
    }
  }

  /**
   * `systemctl stop scylla-server`: a graceful shutdown (native transport and gossip stop, peers
   * are told) that takes `stopMs`. Exit 0; at once if already stopped.
   */
  async systemctlStop(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<SystemctlResult> {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    if (!node.process) {
      if (node.unit === 'failed') node.unit = 'inactive';
      return ok();
    }
    if (node.unit !== 'deactivating') {
      this.log(node, actor, 'systemctl-stop', {});
      node.unit = 'deactivating';
      const t = this.clock.now();
      this.#schedule(node, t + this.timing.stopMs * 0.2, () => {
        this.#transport(node, false, 'sim');
        this.#gossipStop(node, 'sim', true);
      });
      this.#schedule(node, t + this.timing.stopMs, () => {
        this.#processDown(node);
        node.unit = 'inactive';
        this.log(node, 'sim', 'stopped', {});
      });
      this.#maybeDie(node, 'stop', this.timing.stopMs);
      this.#changed();
    }
    await this.#waitFor(() => node.unit !== 'deactivating');
    return ok();
  }

  /** `systemctl restart scylla-server`: stop, then start. */
  async systemctlRestart(nodeOrId: SimNode | string, actor: SimActor = 'control'): Promise<SystemctlResult> {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    this.log(node, actor, 'systemctl-restart', {});
    await this.systemctlStop(node, actor);
    return this.systemctlStart(node, actor);
  }

  #boot(node: SimNode): void {
    if (this.topology instanceof RaftSimTopology && !node.left) this.topology.markUp(node.id);
    node.boot += 1;
    const boot = node.boot;
    const t0 = this.#at(); // the scheduled instant when booting from an event (a reboot)
    const T = this.timing;
    node.process = true;
    node.unit = 'activating';
    node.bootAtMs = t0;
    node.generation = Math.floor(t0 / 1000);
    node.mode = 'NONE';
    node.apiListening = false;
    node.groups.clear();
    // A node that announced its shutdown stays down for its peers while it boots.
    if (node.shutdownAnnounced && !node.gossipUp) node.gossipSinceMs = Math.min(node.gossipSinceMs, t0 - T.failureDetectionDelayMs);
    node.gossipUp = false;
    node.shutdownAnnounced = false;
    node.nativeTransport = false;
    node.repairs.clear();
    node.repairSeq = 0;
    node.drain = undefined;
    node.compaction = undefined;
    const at = (ms: number, fn: () => void) =>
      this.scheduler.schedule(t0 + ms, () => {
        if (node.boot !== boot || !node.process) return;
        fn();
        this.#changed();
      });
    const fail = (reason: string) => {
      this.#processDown(node);
      node.unit = 'failed';
      this.log(node, 'sim', 'start-failed', { reason });
    };
    // scylla.yaml is read first: a file that does not parse stops the boot
    let configError: string | undefined;
    const file = node.files.get(SCYLLA_YAML_PATH);
    if (!file) configError = `${SCYLLA_YAML_PATH}: No such file or directory`;
    else {
      try {
        const parsed = parseYaml(file.content) as unknown;
        node.config = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
        node.configLoaded = true;
      } catch (e) {
        configError = `${SCYLLA_YAML_PATH}: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    if (configError !== undefined) {
      at(T.apiListenMs / 2, () => fail(`configuration error: ${configError}`));
      return;
    }
    if (node.left) {
      at(T.tokenMetadataMs, () => fail('This node was decommissioned and will not rejoin the ring'));
      return;
    }
    const never = this.faults.neverReturn(node.id);
    this.#maybeDie(node, 'start', T.nativeTransportMs);
    at(T.apiListenMs, () => {
      node.apiListening = true;
      for (const g of ['system', 'snitch', 'task_manager', 'storage_proxy'] as const) node.groups.add(g);
    });
    at(T.tokenMetadataMs, () => {
      for (const g of ['token_metadata', 'gossiper', 'failure_detector'] as const) node.groups.add(g);
    });
    if (never === 'crash') {
      at((T.tokenMetadataMs + T.compactionGroupMs) / 2, () => fail('simulated fault: never-return (crash during startup)'));
      return;
    }
    at(T.compactionGroupMs, () => {
      for (const g of ['repair', 'compaction_manager', 'column_family'] as const) node.groups.add(g);
    });
    at(T.storageServiceMs, () => {
      node.groups.add('snapshot');
      node.groups.add('storage_service');
      node.mode = 'STARTING';
      this.log(node, 'sim', 'mode', { mode: 'STARTING' });
      if (node.unit === 'activating') node.unit = 'active'; // not when a stop is already under way
      this.log(node, 'sim', 'started', { bootAtMs: t0 });
    });
    at(T.joiningMs, () => {
      this.#setMode(node, 'JOINING', 'sim');
      this.#gossipStart(node, 'sim');
      if (node.pendingJoin) this.#firstBootJoin(node, boot, fail);
    });
    if (never === 'stuck' || node.pendingJoin) return;
    at(T.normalMs, () => {
      this.#setMode(node, 'NORMAL', 'sim');
      this.#startBacklog(node);
    });
    at(T.nativeTransportMs, () => {
      node.groups.add('transport');
      this.#transport(node, true, 'sim');
      node.servingSinceMs = this.#at();
      this.log(node, 'sim', 'serving', {});
    });
  }

  #startBacklog(node: SimNode): void {
    const perShard: number[] = [];
    const n = this.timing.restartCompactionBacklogPerShard;
    for (let s = 0; s < node.shards; s++) perShard.push(n <= 0 ? 0 : Math.max(0, n + this.#prng.int(-1, 1)));
    const start = this.#at();
    node.compaction = { startAtMs: start, tasksPerShard: perShard, taskMs: Math.max(1, this.timing.compactionTaskMs) };
    if (this.faults.compactionsStuck(node.id)) node.compaction.frozenAtMs = start + node.compaction.taskMs / 2;
    this.#scheduleSettled(node);
  }

  #scheduleSettled(node: SimNode): void {
    const c = node.compaction;
    if (!c || c.frozenAtMs !== undefined) return;
    const end = c.startAtMs + Math.max(0, ...c.tasksPerShard) * c.taskMs;
    this.#schedule(node, end, () => {
      if (node.compaction === c && c.frozenAtMs === undefined) this.log(node, 'sim', 'compactions-settled', {});
    });
  }

  /**
   * Kills a node: its scylla process dies at once (unit `failed`); with `host: true` the whole
   * host powers off (its shell becomes unreachable too). Peers see it down after
   * `failureDetectionDelayMs`. Systemd's `Restart=on-abnormal` is not simulated: the node stays
   * down until `systemctl start` (or {@link powerOn} for a host).
   */
  kill(nodeOrId: SimNode | string, options: { host?: boolean } = {}): void {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    this.#kill(node, options.host ?? false, 'control', 'killed');
    this.#changed();
  }

  #kill(node: SimNode, host: boolean, actor: SimActor, reason: string): void {
    if (this.topology instanceof RaftSimTopology) this.topology.markDown(node.id);
    if (node.process) {
      this.#processDown(node);
      node.unit = 'failed';
    }
    if (host) {
      node.hostUp = false;
      node.unit = 'inactive';
    }
    this.log(node, actor, 'killed', { host, reason });
  }

  /**
   * Reboots the host (`systemctl reboot`): scylla stops at once (peers are told), the host is
   * unreachable for `rebootMs`, then it boots and starts scylla-server (the unit is enabled).
   */
  reboot(nodeOrId: SimNode | string, actor: SimActor = 'control'): void {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    this.log(node, actor, 'reboot', {});
    if (node.process) {
      this.#transport(node, false, 'sim');
      this.#gossipStop(node, 'sim', true);
      this.#processDown(node);
    }
    node.unit = 'inactive';
    node.hostUp = false;
    const at = this.clock.now() + this.timing.rebootMs;
    this.scheduler.schedule(at, () => {
      if (node.hostUp) return; // powered on meanwhile
      node.hostUp = true;
      this.log(node, 'sim', 'power-on', { afterReboot: true });
      this.#boot(node);
      this.#changed();
    });
    this.#changed();
  }

  /** @internal Waits `ms` of clock time (shell commands that take time). */
  async pause(ms: number): Promise<void> {
    await this.#sleepUntil(this.clock.now() + ms);
  }

  /** Powers a host back on (after `kill(..., { host: true })`); scylla-server starts as it is enabled. */
  powerOn(nodeOrId: SimNode | string): void {
    const node = typeof nodeOrId === 'string' ? this.node(nodeOrId) : nodeOrId;
    this.sync();
    if (node.hostUp) return;
    node.hostUp = true;
    this.log(node, 'control', 'power-on', {});
    this.#boot(node);
    this.#changed();
  }

  // ---------------------------------------------------------------- repairs, cleanup, snapshots

  /** `POST /storage_service/repair_async/{ks}`: returns the repair id (1, 2, ... per process). */
  startRepair(node: SimNode, keyspace: string, actor: SimActor = 'rest'): number {
    this.sync();
    const ks = this.keyspace(keyspace);
    if (!ks) throw new SimHttpError(400, `Keyspace ${keyspace} Does not exist`);
    const id = ++node.repairSeq;
    const now = this.clock.now();
    const peers = isLocalStrategy(ks) ? [node] : this.replicaPeers(node, ks);
    const downAtStart = peers.filter((p) => !this.seesUp(node, p)).map((p) => p.address);
    const faulted = this.faults.repairFails(node.id);
    const failEarly = downAtStart.length > 0;
    const endAt = now + (failEarly ? this.timing.repairMs * 0.2 : this.timing.repairMs);
    node.repairs.set(id, { id, keyspace, startAtMs: now, endAtMs: endAt, status: 'RUNNING', outcome: 'SUCCESSFUL' });
    this.log(node, actor, 'repair-start', { id, keyspace });
    this.#maybeDie(node, 'repair', endAt - now);
    this.#schedule(node, endAt, () => {
      const r = node.repairs.get(id);
      if (!r) return;
      const downNow = peers.filter((p) => !this.seesUp(node, p)).map((p) => p.address);
      const failed = faulted || failEarly || downNow.length > 0;
      r.status = failed ? 'FAILED' : 'SUCCESSFUL';
      r.outcome = r.status;
      this.log(node, 'sim', 'repair-done', {
        id,
        keyspace,
        status: r.status,
        ...(failed ? { reason: faulted ? 'simulated fault' : `replicas down: ${[...new Set([...downAtStart, ...downNow])].join(',')}` } : {}),
      });
    });
    this.#changed();
    return id;
  }

  /** `GET /storage_service/repair_async/{ks}?id=`: `RUNNING`, `SUCCESSFUL` or `FAILED`; 400 for an unknown id. */
  repairStatus(node: SimNode, id: number): 'RUNNING' | 'SUCCESSFUL' | 'FAILED' {
    this.sync();
    if (!Number.isInteger(id) || id < 1 || id > node.repairSeq) throw new SimHttpError(400, `unknown repair id ${id}`);
    return node.repairs.get(id)?.status ?? 'SUCCESSFUL';
  }

  /** Waits for a repair to finish (`repair_status` long-poll); `timeoutMs` undefined waits forever. */
  async awaitRepair(node: SimNode, id: number, timeoutMs: number | undefined): Promise<'RUNNING' | 'SUCCESSFUL' | 'FAILED'> {
    const boot = node.boot;
    const deadline = timeoutMs === undefined ? Infinity : this.clock.now() + timeoutMs;
    const first = this.repairStatus(node, id);
    if (first !== 'RUNNING') return first;
    const r = node.repairs.get(id)!;
    await this.#waitFor(() => node.boot !== boot, Math.min(deadline, r.endAtMs));
    if (node.boot !== boot) throw new SimConnectionError('ECONNRESET', `node ${node.id} died`);
    return this.repairStatus(node, id);
  }

  /** Ids of running repairs. */
  activeRepairs(node: SimNode): number[] {
    this.sync();
    return [...node.repairs.values()].filter((r) => r.status === 'RUNNING').map((r) => r.id);
  }

  /** `POST /storage_service/force_terminate_repair`: every running repair fails. */
  terminateRepairs(node: SimNode, actor: SimActor = 'rest'): void {
    this.sync();
    for (const r of node.repairs.values()) {
      if (r.status === 'RUNNING') {
        r.status = 'FAILED';
        r.outcome = 'FAILED';
        r.endAtMs = this.clock.now();
        this.log(node, actor, 'repair-done', { id: r.id, keyspace: r.keyspace, status: 'FAILED', reason: 'terminated' });
      }
    }
  }

  /** `POST /storage_service/keyspace_cleanup/{ks}`: synchronous; takes `cleanupMs`. */
  async cleanup(node: SimNode, keyspace: string, actor: SimActor = 'rest'): Promise<number> {
    this.sync();
    const ks = this.keyspace(keyspace);
    if (!ks) throw new SimHttpError(400, `Keyspace ${keyspace} Does not exist`);
    if (this.topology.nodesIn('leaving').length > 0 || this.topology.nodesIn('joining').length > 0) {
      throw runtimeError('Can not perform cleanup operation when topology changes');
    }
    this.log(node, actor, 'cleanup', { keyspace });
    if (isLocalStrategy(ks)) return 0;
    const t = this.clock.now();
    const boot = node.boot;
    node.cleanups.push({ ks: keyspace, startAtMs: t, endAtMs: t + this.timing.cleanupMs });
    this.#maybeDie(node, 'cleanup', this.timing.cleanupMs);
    await this.#waitFor(() => node.boot !== boot, t + this.timing.cleanupMs);
    if (node.boot !== boot) throw new SimConnectionError('ECONNRESET', `node ${node.id} died during cleanup`);
    node.cleanups = node.cleanups.filter((c) => c.endAtMs > this.clock.now());
    return 0;
  }

  /** `POST /storage_service/keyspace_flush/{ks}` (or every keyspace when `keyspace` is undefined). */
  async flush(node: SimNode, keyspace: string | undefined, actor: SimActor = 'rest'): Promise<void> {
    this.sync();
    if (keyspace !== undefined && !this.keyspace(keyspace)) throw new SimHttpError(400, `Keyspace ${keyspace} Does not exist`);
    this.log(node, actor, 'flush', keyspace === undefined ? {} : { keyspace });
    await this.#sleepUntil(this.clock.now() + this.timing.flushMs);
  }

  /** `POST /storage_service/snapshots?tag=&kn=`: 500 if the tag exists in one of the keyspaces. */
  async snapshot(node: SimNode, tag: string, keyspaces: string[] | undefined, actor: SimActor = 'rest'): Promise<void> {
    this.sync();
    const names = keyspaces && keyspaces.length > 0 ? keyspaces : this.keyspaces.map((k) => k.name);
    for (const n of names) if (!this.keyspace(n)) throw new SimHttpError(400, `Keyspace ${n} Does not exist`);
    const existing = node.snapshots.get(tag) ?? [];
    for (const n of names) {
      if (existing.some((e) => e.ks === n)) throw runtimeError(`Keyspace ${n}: snapshot ${tag} already exists.`);
    }
    const entries = [...existing];
    for (const n of names) {
      const ks = this.keyspace(n)!;
      for (const cf of ks.tables ?? []) entries.push({ ks: n, cf, total: 1024 * (1 + (hash(`${node.id}/${n}/${cf}`) % 4096)), live: 0 });
    }
    node.snapshots.set(tag, entries);
    this.log(node, actor, 'snapshot', { tag, keyspaces: names });
    await this.#sleepUntil(this.clock.now() + this.timing.flushMs);
  }

  /** `DELETE /storage_service/snapshots?tag=&kn=`: no tag removes all. */
  deleteSnapshot(node: SimNode, tag: string | undefined, keyspaces: string[] | undefined, actor: SimActor = 'rest'): void {
    this.sync();
    const tags = tag === undefined ? [...node.snapshots.keys()] : [tag];
    for (const t of tags) {
      const entries = node.snapshots.get(t);
      if (!entries) continue;
      const kept = keyspaces && keyspaces.length > 0 ? entries.filter((e) => !keyspaces.includes(e.ks)) : [];
      if (kept.length > 0) node.snapshots.set(t, kept);
      else node.snapshots.delete(t);
    }
    this.log(node, actor, 'snapshot-delete', { ...(tag === undefined ? {} : { tag }) });
  }

  // ---------------------------------------------------------------- topology changes

  /**
   * `POST /storage_service/decommission`: LEAVING (listed in `nodes/leaving`), then after
   * `decommissionMs` DECOMMISSIONED: tokens gone, gossip and native transport off, no longer a
   * member. 500 unless the node is NORMAL, or when a datacenter would keep fewer nodes than a
   * keyspace's replication factor. With the Raft topology this is a `leave` request whose
   * streaming takes `decommissionMs`; if the node dies meanwhile, the coordinator rolls the node
   * back to normal and the call is reset (ECONNRESET), as with the in-memory ring.
   */
  async decommission(node: SimNode, actor: SimActor = 'rest'): Promise<void> {
    this.sync();
    if (node.mode !== 'NORMAL') {
      throw runtimeError(`Node in ${node.mode === 'NONE' ? 'STARTING' : node.mode} state; wait for status to become normal or restart`);
    }
    if (this.topology.nodesIn('leaving').length > 0) throw runtimeError('Cannot decommission: another topology operation is in progress');
    const remaining = this.members().filter((n) => n !== node && n.dc === node.dc).length;
    for (const ks of this.keyspaces) {
      const rf = Number(ks.replication[node.dc] ?? 0);
      if (rf > remaining) {
        throw runtimeError(`Decommission would leave ${remaining} nodes in datacenter ${node.dc}, fewer than the replication factor ${rf} of keyspace ${ks.name}`);
      }
    }
    if (this.topology instanceof RaftSimTopology) return this.#raftDecommission(this.topology, node, actor);
    const t = this.clock.now();
    const boot = node.boot;
    this.log(node, actor, 'decommission', {});
    this.#setMode(node, 'LEAVING', actor);
    this.topology.beginLeave(node.id);
    this.#maybeDie(node, 'decommission', this.timing.decommissionMs);
    this.#changed();
    this.#schedule(node, t + this.timing.decommissionMs, () => {
      this.topology.completeLeave(node.id);
      node.left = true;
      this.#transport(node, false, 'sim');
      this.#gossipStop(node, 'sim', true);
      this.#setMode(node, 'DECOMMISSIONED', 'sim');
      this.log(node, 'sim', 'decommissioned', {});
    });
    await this.#waitFor(() => node.boot !== boot, t + this.timing.decommissionMs);
    if (node.boot !== boot) {
      this.topology.cancelLeave(node.id);
      throw new SimConnectionError('ECONNRESET', `node ${node.id} died during decommission`);
    }
  }

  /**
   * `POST /storage_service/remove_node?host_id=`: removes a dead node from the ring, coordinated
   * by `coordinator`. 500 if the node is seen alive, is the coordinator, or is unknown.
   */
  async removeNode(coordinator: SimNode, hostId: string, actor: SimActor = 'rest'): Promise<void> {
    this.sync();
    const target = this.nodeByHostId(hostId);
    if (!target || target.left) throw runtimeError(`removenode[${hostId}]: Host ID not found in the cluster`);
    if (target === coordinator) throw runtimeError(`removenode[${hostId}]: Cannot remove self`);
    if (this.seesUp(coordinator, target)) {
      throw runtimeError(
        `removenode[${hostId}]: Rejected removenode operation for node ${hostId} ip ${target.address}: the node being removed is alive, maybe you should use decommission instead?`,
      );
    }
    if (this.topology instanceof RaftSimTopology) return this.#raftRemoveNode(this.topology, coordinator, target, hostId, actor);
    const t = this.clock.now();
    this.log(target, actor, 'removenode', { coordinator: coordinator.id });
    this.topology.beginLeave(target.id);
    this.#changed();
    const boot = coordinator.boot;
    await this.#waitFor(() => coordinator.boot !== boot, t + this.timing.removeNodeMs);
    if (coordinator.boot !== boot) {
      this.topology.cancelLeave(target.id);
      throw new SimConnectionError('ECONNRESET', `node ${coordinator.id} died during removenode`);
    }
    this.topology.completeLeave(target.id);
    target.left = true;
    this.log(target, 'sim', 'removed', { coordinator: coordinator.id });
    this.#changed();
  }

  // ---------------------------------------------------------------- topology through Raft

  async #raftDecommission(topo: RaftSimTopology, node: SimNode, actor: SimActor): Promise<void> {
    const boot = node.boot;
    this.log(node, actor, 'decommission', {});
    this.#setMode(node, 'LEAVING', actor);
    this.#changed();
    const out = await topo.leave(node.id);
    this.sync();
    if (out.status !== 'done') {
      const died = !sameProcess(node, boot);
      if (!died) this.#setMode(node, 'NORMAL', 'sim');
      this.#changed();
      if (died) throw new SimConnectionError('ECONNRESET', `node ${node.id} died during decommission; the Raft topology coordinator ended it: ${out.reason ?? out.status}`);
      throw runtimeError(`Decommission of ${node.id} ${out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    node.left = true;
    this.#transport(node, false, 'sim');
    this.#gossipStop(node, 'sim', true);
    this.#setMode(node, 'DECOMMISSIONED', 'sim');
    this.log(node, 'sim', 'decommissioned', {});
    this.#changed();
  }

  async #raftRemoveNode(topo: RaftSimTopology, coordinator: SimNode, target: SimNode, hostId: string, actor: SimActor): Promise<void> {
    const boot = coordinator.boot;
    this.log(target, actor, 'removenode', { coordinator: coordinator.id });
    this.#changed();
    const out = await topo.remove(target.id);
    this.sync();
    if (out.status !== 'done') {
      this.#changed();
      if (!sameProcess(coordinator, boot)) {
        throw new SimConnectionError('ECONNRESET', `node ${coordinator.id} died during removenode; the Raft topology coordinator ended it: ${out.reason ?? out.status}`);
      }
      throw runtimeError(`removenode[${hostId}]: ${out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    target.left = true;
    this.log(target, 'sim', 'removed', { coordinator: coordinator.id });
    this.#changed();
  }

  /**
   * The streaming of a Raft topology operation on `nodeId`, on the simulation's clock: takes
   * `decommissionMs` (leave), `removeNodeMs` (remove: every remaining normal node streams at
   * once), `bootstrapMs` (join, replace) or `rebuildMs`, and fails if the node's process dies
   * (or restarts) meanwhile. A `die-during` fault on `decommission` (`rebuild`) counts its
   * `afterMs` from the start of the node's leave (rebuild) streaming.
   */
  async #stream(cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal): Promise<void> {
    this.sync();
    const node = this.node(nodeId);
    if (!node.process) throw new Error(`node ${nodeId} is down; cannot stream for ${cmd.kind} ${cmd.requestId}`);
    const T = this.timing;
    const ms = { leave: T.decommissionMs, remove: T.removeNodeMs, join: T.bootstrapMs, replace: T.bootstrapMs, rebuild: T.rebuildMs }[cmd.kind];
    const boot = node.boot;
    if (cmd.kind === 'leave' || cmd.kind === 'rebuild') this.#maybeDie(node, cmd.kind === 'leave' ? 'decommission' : 'rebuild', ms);
    if ((cmd.kind === 'join' || cmd.kind === 'replace') && nodeId === cmd.nodeId) this.#maybeDie(node, 'bootstrap', ms);
    const wake = (): void => this.#changed();
    signal.addEventListener('abort', wake, { once: true });
    const sp = this.#streaming;
    sp.begin(cmd.requestId, nodeId, ms, this.clock.now());
    try {
      // A stalled stream makes no progress and does not end until resumed (stallStreaming).
      for (let end = sp.endAt(cmd.requestId, nodeId, this.clock.now()); this.clock.now() < end; end = sp.endAt(cmd.requestId, nodeId, this.clock.now())) {
        const stalled = sp.isStalled(nodeId);
        await this.#waitFor(() => !sameProcess(node, boot) || signal.aborted || sp.isStalled(nodeId) !== stalled, end);
        if (!sameProcess(node, boot) || signal.aborted) break;
      }
    } finally {
      signal.removeEventListener('abort', wake);
    }
    if (!sameProcess(node, boot) || signal.aborted) sp.halt(cmd.requestId, nodeId, this.clock.now());
    else sp.finish(cmd.requestId, nodeId, this.clock.now());
    if (!sameProcess(node, boot)) throw new Error(`node ${nodeId} died while streaming for ${cmd.kind} ${cmd.requestId}`);
    if (signal.aborted) throw new Error(`streaming on ${nodeId} for ${cmd.kind} ${cmd.requestId} was aborted: ${(signal.reason as Error | undefined)?.message ?? 'aborted'}`);
  }

  /**
   * Stalls (`true`) or resumes (`false`) the topology streaming of `nodeId` (the streaming node:
   * the joining or replacing node, the leaving node): while stalled its stream makes no progress
   * and does not end, so the request's task-manager progress stops rising.
   */
  stallStreaming(nodeId: string, stalled = true): void {
    this.sync();
    this.node(nodeId);
    this.#streaming.setStalled(nodeId, stalled, this.clock.now());
    this.#changed();
  }

  /** A topology request's streaming progress now, in percent (`undefined` before it streams). */
  streamingPercent(requestId: string): StreamingPercent | undefined {
    return this.#streaming.percent(requestId, this.clock.now());
  }

  #requireRaft(what: string): RaftSimTopology {
    if (!(this.topology instanceof RaftSimTopology)) {
      throw new Error(`SimCluster.${what} needs the Raft topology (the default); this cluster was created with { topology: '${this.options.topology}' }`);
    }
    return this.topology;
  }

  /**
   * `POST /storage_service/rebuild?source_dc=`: streams the node's data (from `sourceDc`)
   * through a `rebuild` request to the Raft topology group; takes `rebuildMs`. 500 if the
   * rebuild fails (e.g. the node dies meanwhile: then the connection is reset), or with the
   * `'memory'` topology.
   */
  async rebuild(node: SimNode, sourceDc: string | undefined, actor: SimActor = 'rest'): Promise<void> {
    this.sync();
    if (!(this.topology instanceof RaftSimTopology)) throw runtimeError(`rebuild of ${node.id}: the simulated cluster's '${this.options.topology}' topology does not support rebuild`);
    if (sourceDc !== undefined && !this.options.datacenters.some((d) => d.name === sourceDc)) throw runtimeError(`rebuild of ${node.id}: unknown source datacenter ${sourceDc}`);
    const boot = node.boot;
    this.log(node, actor, 'rebuild', sourceDc === undefined ? {} : { sourceDc });
    this.#changed();
    const out = await this.topology.rebuild(node.id, sourceDc);
    this.sync();
    if (!sameProcess(node, boot)) throw new SimConnectionError('ECONNRESET', `node ${node.id} died during rebuild`);
    if (out.status !== 'done') {
      this.#changed();
      throw runtimeError(`rebuild of ${node.id} ${out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    this.log(node, 'sim', 'rebuilt', {});
    this.#changed();
  }

  #newNode(dc: string, rack: string): SimNode {
    const d = this.options.datacenters.findIndex((x) => x.name === dc);
    if (d < 0) throw new Error(`SimCluster: no datacenter "${dc}"; datacenters are ${this.options.datacenters.map((x) => x.name).join(', ')}`);
    if (!this.options.datacenters[d]!.zones.includes(rack)) throw new Error(`SimCluster: datacenter "${dc}" has no rack "${rack}"`);
    let j = this.#nodes.filter((n) => n.dc === dc && n.rack === rack).length + 1;
    while (this.#byId.has(`${dc}-${rack}-n${j}`)) j++;
    const k = this.#nodes.filter((n) => n.dc === dc).length;
    const now = this.clock.now();
    const node = new SimNode({
      id: `${dc}-${rack}-n${j}`,
      address: `10.${d + 1}.${Math.floor(k / 250)}.${(k % 250) + 1}`,
      dc,
      rack,
      zone: rack,
      hostId: uuid(this.#idPrng),
      index: this.#nodes.length,
      shards: this.options.shardsPerNode,
      nowMs: now,
      schemaVersion: this.#schemaVersion,
    });
    this.#nodes.push(node);
    this.#byId.set(node.id, node);
    this.#byAddress.set(node.address, node);
    this.placement.set(node.id, { dc: node.dc, rack: node.rack });
    for (const g of ALL_GROUPS) node.groups.add(g);
    node.files.set(SCYLLA_YAML_PATH, { content: this.#initialScyllaYaml(node), mode: 0o644, owner: 'root:root', mtimeMs: now });
    node.files.set('/etc/scylla/cassandra-rackdc.properties', {
      content: `dc=${node.dc}\nrack=${node.rack}\nprefer_local=true\n`,
      mode: 0o644,
      owner: 'root:root',
      mtimeMs: now,
    });
    node.otherUnits.set('scylla-node-exporter', true);
    node.mode = 'JOINING';
    node.nativeTransport = false;
    node.bootAtMs = now;
    return node;
  }

  async #raftJoin(node: SimNode, run: () => Promise<{ status: string; reason?: string; code?: string }>, what: string, actor: SimActor): Promise<SimNode> {
    this.log(node, actor, what, {});
    this.#changed();
    const boot = node.boot;
    const out = await run();
    this.sync();
    if (out.status !== 'done' || !sameProcess(node, boot)) {
      node.left = true;
      this.#transport(node, false, 'sim');
      this.log(node, 'sim', `${what}-failed`, { reason: out.reason ?? out.code ?? out.status });
      this.#changed();
      throw runtimeError(`${what} of ${node.id} ${out.status === 'done' ? 'lost its node' : out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    this.#setMode(node, 'NORMAL', 'sim');
    this.#transport(node, true, 'sim');
    this.log(node, 'sim', `${what}-done`, {});
    this.#changed();
    return node;
  }

  /**
   * Adds a new node to `dc`/`rack` that is not a member yet (issue 19): its process is stopped
   * and it is in no view of the ring; the inventory lists it with `new: true` (and
   * `replaces: <id>` when `replaces` is given, for the inventory only). Its first
   * `systemctl start` asks the Raft topology to join it, or, when its scylla.yaml sets
   * `replace_node_first_boot: <host id>`, to replace that node (see `first-boot-join.ts`).
   */
  async addNewNode(spec: { dc: string; rack: string; replaces?: string }): Promise<SimNode> {
    this.#requireRaft('addNewNode');
    this.sync();
    if (spec.replaces !== undefined) this.node(spec.replaces);
    const node = this.#newNode(spec.dc, spec.rack);
    node.pendingJoin = true;
    node.replacesId = spec.replaces;
    node.process = false;
    node.unit = 'inactive';
    node.mode = 'NONE';
    node.apiListening = false;
    node.groups.clear();
    this.log(node, 'control', 'added-new-node', spec.replaces === undefined ? {} : { replaces: spec.replaces });
    if (this.#http) await this.#http.addNode(node);
    this.#changed();
    return node;
  }

  /** At a new node's first boot: join (or replace) through the topology; a refusal or failure stops the process with the reason. */
  #firstBootJoin(node: SimNode, boot: number, fail: (reason: string) => void): void {
    const topo = this.#requireRaft('first boot');
    const spec = { id: node.id, address: node.address, dc: node.dc, rack: node.rack };
    const replaceHostId = firstBootReplaceTarget(node.config);
    let run: () => Promise<{ status: string; reason?: string; code?: string }>;
    let what = 'bootstrap';
    if (replaceHostId !== undefined) {
      what = 'replace';
      const dead = this.#nodes.find((n) => n.hostId === replaceHostId);
      if (!dead) {
        this.scheduler.schedule(this.clock.now(), () => fail(`replace_node_first_boot: no node with host id ${replaceHostId} in the cluster`));
        return;
      }
      run = () => topo.replace(spec, dead.id);
    } else run = () => topo.join(spec);
    void this.#raftJoin(node, run, what, 'sim').then(
      () => {
        node.pendingJoin = false;
        if (what === 'replace') {
          const dead = this.#nodes.find((n) => n.hostId === replaceHostId)!;
          dead.left = true;
          this.log(dead, 'sim', 'replaced', { by: node.id });
        }
        if (!sameProcess(node, boot)) return;
        node.groups.add('transport');
        node.servingSinceMs = this.clock.now();
        this.#startBacklog(node);
        this.#changed();
      },
      (e: unknown) => {
        node.pendingJoin = false;
        this.sync();
        if (sameProcess(node, boot)) fail((e as Error).message);
        this.#changed();
      },
    );
  }

  /**
   * Bootstraps a new node into `dc`/`rack` through a `join` request to the Raft topology group
   * (the default topology; not with `{ topology: 'memory' }`). The node is listed (mode JOINING,
   * `nodes/joining`) at once; its streaming takes `timing.bootstrapMs`; resolves with it once
   * NORMAL. If it dies meanwhile the coordinator rolls the join back, the node ends `left`, and
   * this rejects with a 500-style runtime error.
   */
  async bootstrapNode(spec: { dc: string; rack: string }, actor: SimActor = 'control'): Promise<SimNode> {
    const topo = this.#requireRaft('bootstrapNode');
    this.sync();
    const node = this.#newNode(spec.dc, spec.rack);
    if (this.#http) await this.#http.addNode(node);
    return this.#raftJoin(node, () => topo.join({ id: node.id, address: node.address, dc: node.dc, rack: node.rack }), 'bootstrap', actor);
  }

  /**
   * Replaces the dead node `deadId` by a new node in the same dc and rack through a `replace`
   * request (the default topology; not with `{ topology: 'memory' }`); the new node streams for
   * `timing.bootstrapMs`, takes over the dead node's tokens, and the dead node ends `left`.
   * Rejects when the Raft topology rejects the request (e.g. the node is alive).
   */
  async replaceNode(deadId: string, actor: SimActor = 'control'): Promise<SimNode> {
    const topo = this.#requireRaft('replaceNode');
    this.sync();
    const dead = this.node(deadId);
    if (dead.left) throw runtimeError(`replace: node ${deadId} already left the cluster`);
    if (dead.process) throw runtimeError(`replace: node ${deadId} is alive; only a dead node can be replaced`);
    const node = this.#newNode(dead.dc, dead.rack);
    if (this.#http) await this.#http.addNode(node);
    const r = await this.#raftJoin(node, () => topo.replace({ id: node.id, address: node.address, dc: node.dc, rack: node.rack }, dead.id), 'replace', actor);
    dead.left = true;
    this.log(dead, 'sim', 'replaced', { by: node.id });
    this.#changed();
    return r;
  }

  // ---------------------------------------------------------------- faults hooks

  #onFaultsChanged(c: { type: 'injected' | 'cleared'; fault: ActiveFault }): void {
    const node = this.#byId.get(c.fault.fault.node);
    if (!node) return;
    this.sync();
    this.log(node, 'fault', c.type === 'injected' ? 'fault-injected' : 'fault-cleared', { id: c.fault.id, kind: c.fault.fault.kind });
    if (c.fault.fault.kind === 'compactions-never-settle' && node.compaction) {
      const comp = node.compaction;
      if (c.type === 'injected' && comp.frozenAtMs === undefined) comp.frozenAtMs = this.clock.now();
      if (c.type === 'cleared' && comp.frozenAtMs !== undefined && !this.faults.compactionsStuck(node.id)) {
        comp.startAtMs += Math.max(0, this.clock.now() - comp.frozenAtMs);
        comp.frozenAtMs = undefined;
        this.#scheduleSettled(node);
      }
    }
    this.#changed();
  }

  #onOplog(nodeId: string, action: string): void {
    for (const { id, fault } of this.faults.killOn()) {
      if (fault.trigger.action !== action) continue;
      if (fault.trigger.node !== undefined && fault.trigger.node !== nodeId) continue;
      if (fault.node === nodeId && action === 'killed') continue;
      this.faults.clear(id);
      const victim = this.node(fault.node);
      const at = this.#at() + (fault.delayMs ?? 0);
      this.scheduler.schedule(at, () => {
        this.#kill(victim, fault.host ?? false, 'fault', `kill-on ${fault.trigger.node ?? '*'}:${fault.trigger.action}`);
        this.#changed();
      });
    }
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

  /** Closes every server started by {@link start}. */
  async stop(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    await http?.stop();
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
      nodes: this.#nodes.map((n) => {
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

  /** Writes {@link inventory} as YAML (the CLI's inventory format) to `path`, atomically. */
  async writeInventory(path: string, options: SimInventoryOptions = {}): Promise<void> {
    await writeInventoryFile(this.inventory(options), path);
  }

  #initialScyllaYaml(node: SimNode): string {
    const seeds = this.#nodes.length > 0 ? this.#nodes[0]!.address : node.address;
    return [
      '# Scylla storage config YAML (simulated node)',
      '',
      '# The name of the cluster.',
      `cluster_name: '${this.options.name}'`,
      '',
      '# Number of vnode tokens of this node.',
      `num_tokens: ${this.options.tokensPerNode}`,
      '',
      'data_file_directories:',
      '    - /var/lib/scylla/data',
      'commitlog_directory: /var/lib/scylla/commitlog',
      '',
      'seed_provider:',
      '    - class_name: org.apache.cassandra.locator.SimpleSeedProvider',
      '      parameters:',
      `          - seeds: "${seeds}"`,
      '',
      `listen_address: ${node.address}`,
      `rpc_address: ${node.address}`,
      'native_transport_port: 9042',
      'api_port: 10000',
      'api_address: 127.0.0.1',
      'prometheus_port: 9180',
      '',
      'endpoint_snitch: GossipingPropertyFileSnitch',
      '',
      '# compaction_throughput_mb_per_sec: 0',
      'compaction_static_shares: 0',
      '',
    ].join('\n');
  }
}

/** `replace_node_first_boot` of a parsed scylla.yaml, when set. */
function firstBootReplaceTarget(config: Record<string, unknown> | undefined): string | undefined {
  const v = config?.['replace_node_first_boot'];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Whether `node` still runs the process of boot `boot` (it neither died nor restarted since). */
function sameProcess(node: SimNode, boot: number): boolean {
  return node.boot === boot && node.process;
}

/**
 * Up to `count` voters for the Raft topology group: the first node of each rack (datacenters and
 * racks in inventory order), then the second of each, and so on.
 */
function pickVoters(nodes: readonly SimNode[], count: number): string[] {
  const racks = new Map<string, SimNode[]>();
  for (const n of nodes) {
    const key = `${n.dc}/${n.rack}`;
    const list = racks.get(key) ?? [];
    list.push(n);
    racks.set(key, list);
  }
  const out: string[] = [];
  for (let i = 0; out.length < Math.min(count, nodes.length); i++) {
    for (const list of racks.values()) if (list[i] && out.length < count) out.push(list[i]!.id);
  }
  return out;
}

const ALL_GROUPS: ApiGroup[] = [
  'system',
  'snitch',
  'task_manager',
  'storage_proxy',
  'token_metadata',
  'gossiper',
  'failure_detector',
  'repair',
  'compaction_manager',
  'column_family',
  'snapshot',
  'storage_service',
  'transport',
];

function ok(): SystemctlResult {
  return { exitCode: 0, stdout: '', stderr: '' };
}

