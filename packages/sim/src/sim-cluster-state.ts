import { Prng, SystemClock, type Clock } from '@scylla-cp/core';
import type { StreamRangesCommand } from '@scylla-cp/raft';
import { parse as parseYaml } from 'yaml';
import { SimFaultInjector } from './fault-injector.js';
import { nodeIdOf, provisionNode, SCYLLA_YAML_PATH } from './node-provisioning.js';
import { RaftSimTopology } from './raft-sim-topology.js';
import { isLocalStrategy, replicasOf, type PlacementNode } from './replication.js';
import { Scheduler } from './scheduler.js';
import type { SimClusterView } from './sim-cluster-view.js';
import type { ActiveFault } from './sim-faults.js';
import type { SimNode } from './sim-node.js';
import { SimOpLog, type SimActor } from './sim-oplog.js';
import { resolveSimOptions, type ResolvedSimOptions, type SimClusterOptions, type SimKeyspaceSpec, type SimTiming } from './sim-options.js';
import { SimTimeline } from './sim-timeline.js';
import { TokenRingTopology, type SimTopology } from './topology.js';
import { flipUuid, uuid } from './util.js';

const SYSTEM_KEYSPACES: SimKeyspaceSpec[] = [
  { name: 'system', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' }, tables: ['local', 'peers', 'compaction_history'] },
  { name: 'system_schema', replication: { class: 'org.apache.cassandra.locator.LocalStrategy' }, tables: ['keyspaces', 'tables', 'columns'] },
  { name: 'system_distributed', replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: 3 }, tables: ['cdc_streams_descriptions_v2', 'service_levels'] },
];

/**
 * The state of a simulated cluster and the ways to look at it: options, clock and timeline,
 * keyspaces, nodes (provisioned here, at creation and when one is added), the topology, faults,
 * the oplog, and each node's view of the others. `SimCluster` adds what can be done to it
 * (process life, storage service, repair, membership); the subsystems that do it read and change
 * this state.
 */
export abstract class SimClusterState {
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
  /** The simulation's time (scheduled changes, change listeners, waits). */
  protected readonly time: SimTimeline;
  /** Randomness of the simulation itself (compaction backlogs). */
  protected readonly prng: Prng;

  readonly #nodes: SimNode[] = [];
  readonly #byId = new Map<string, SimNode>();
  readonly #byAddress = new Map<string, SimNode>();
  readonly #idPrng: Prng;
  readonly #schemaVersion: string;
  readonly #replicaCache = new Map<string, { ring: readonly unknown[]; sets: { start: string; end: string; replicas: string[] }[] }>();

  constructor(options: SimClusterOptions = {}) {
    this.options = resolveSimOptions(options);
    this.clock = options.clock ?? new SystemClock();
    this.time = new SimTimeline(this.clock, this.scheduler);
    const root = new Prng(this.options.seed);
    const idPrng = root.fork();
    this.prng = root.fork();
    this.faults = new SimFaultInjector({ nowMs: () => this.clock.now(), onFaultsChanged: (c) => this.#onFaultsChanged(c) }, root.fork());
    const names = new Set<string>();
    const keyspaces = [...this.options.keyspaces, ...(this.options.systemKeyspaces ? SYSTEM_KEYSPACES : [])];
    for (const ks of keyspaces) {
      if (names.has(ks.name)) throw new Error(`SimCluster: keyspace "${ks.name}" is declared twice`);
      names.add(ks.name);
    }
    this.keyspaces = keyspaces.map((k) => ({ ...k, tables: k.tables ?? ['t1'] }));
    this.#schemaVersion = uuid(idPrng);
    this.#idPrng = idPrng;
    const now = this.clock.now();
    const tokens = new Map<string, string[]>();
    const usedTokens = new Set<string>();
    this.options.datacenters.forEach((dc, d) => {
      let k = 0;
      for (const zone of dc.zones) {
        for (let j = 1; j <= this.options.nodesPerZone; j++, k++) {
          const id = nodeIdOf(dc.name, zone, j);
          if (this.#byId.has(id)) throw new Error(`SimCluster: duplicate node id "${id}" (zone names must be unique within a datacenter)`);
          const node = this.#provision(dc.name, d, zone, j, k, now);
          const t: string[] = [];
          while (t.length < this.options.tokensPerNode) {
            const tok = BigInt.asIntN(64, (BigInt(idPrng.nextUint32()) << 32n) | BigInt(idPrng.nextUint32())).toString();
            if (usedTokens.has(tok)) continue;
            usedTokens.add(tok);
            t.push(tok);
          }
          tokens.set(node.id, t);
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
            stream: (cmd, nodeId, signal) => this.streamRanges(cmd, nodeId, signal),
            clock: this.clock,
          })
        : new TokenRingTopology(tokens);
  }

  /** The streaming of a Raft topology operation on `nodeId` (see `TopologyStreaming`). */
  protected abstract streamRanges(cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal): Promise<void>;

  /** What a fault that was injected or cleared on `node` changes beyond the log. */
  protected abstract faultChanged(node: SimNode, change: { type: 'injected' | 'cleared'; fault: ActiveFault }): void;

  // ---------------------------------------------------------------- nodes

  /** Provisions node `number` of `dc`/`rack` (a free id) and registers it. */
  #provision(dc: string, dcIndex: number, rack: string, number: number, indexInDc: number, nowMs: number): SimNode {
    const node = provisionNode({
      dc,
      dcIndex,
      rack,
      number,
      indexInDc,
      index: this.#nodes.length,
      hostId: uuid(this.#idPrng),
      shards: this.options.shardsPerNode,
      nowMs,
      schemaVersion: this.#schemaVersion,
      clusterName: this.options.name,
      tokensPerNode: this.options.tokensPerNode,
      seed: this.#nodes[0]?.address,
    });
    this.#nodes.push(node);
    this.#byId.set(node.id, node);
    this.#byAddress.set(node.address, node);
    this.placement.set(node.id, { dc: node.dc, rack: node.rack });
    return node;
  }

  /** Provisions a new node in `dc`/`rack` (the next free number of the rack), JOINING and not serving. */
  protected addNode(dc: string, rack: string): SimNode {
    const d = this.options.datacenters.findIndex((x) => x.name === dc);
    if (d < 0) throw new Error(`SimCluster: no datacenter "${dc}"; datacenters are ${this.options.datacenters.map((x) => x.name).join(', ')}`);
    if (!this.options.datacenters[d]!.zones.includes(rack)) throw new Error(`SimCluster: datacenter "${dc}" has no rack "${rack}"`);
    let j = this.#nodes.filter((n) => n.dc === dc && n.rack === rack).length + 1;
    while (this.#byId.has(nodeIdOf(dc, rack, j))) j++;
    const now = this.clock.now();
    const node = this.#provision(dc, d, rack, j, this.#nodes.filter((n) => n.dc === dc).length, now);
    node.mode = 'JOINING';
    node.nativeTransport = false;
    node.bootAtMs = now;
    return node;
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
    this.time.sync();
  }

  /** @internal Registers a listener called after state changes (the HTTP layer reconciles listeners). */
  onChange(listener: () => void): () => void {
    return this.time.onChange(listener);
  }

  /** @internal Appends to the oplog at the current simulated instant. */
  log(node: SimNode, actor: SimActor, action: string, detail: Record<string, unknown> = {}): void {
    this.oplog.append(this.time.at(), node.id, actor, action, detail);
  }

  /** @internal Waits `ms` of clock time (shell commands that take time). */
  async pause(ms: number): Promise<void> {
    await this.time.sleepUntil(this.clock.now() + ms);
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
    const now = this.time.at();
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

  #onFaultsChanged(c: { type: 'injected' | 'cleared'; fault: ActiveFault }): void {
    const node = this.#byId.get(c.fault.fault.node);
    if (!node) return;
    this.sync();
    this.log(node, 'fault', c.type === 'injected' ? 'fault-injected' : 'fault-cleared', { id: c.fault.id, kind: c.fault.fault.kind });
    this.faultChanged(node, c);
    this.time.changed();
  }
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
