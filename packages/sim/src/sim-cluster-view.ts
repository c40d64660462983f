import type { Clock, ClusterInventory } from '@scylla-cp/core';
import type { SimFaultInjector } from './fault-injector.js';
import type { SimRestReply } from './rest-reply.js';
import type { Scheduler } from './scheduler.js';
import type { SimNode } from './sim-node.js';
import type { SimActor, SimOpLog } from './sim-oplog.js';
import type { ResolvedSimOptions, SimKeyspaceSpec, SimTiming } from './sim-options.js';
import type { StreamingPercent } from './streaming-progress.js';
import type { SimTopology } from './topology.js';

// The layers around the simulation (REST routes, metrics, shells, HTTP servers, service
// providers) see a cluster through these interfaces, never through the `SimCluster` class: the
// class imports those layers, and they import only this file.

/** Outcome of an emulated `systemctl` command. */
export interface SystemctlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Per-shard compaction figures of a node at one instant. */
export interface ShardCompactions {
  /** Compactions running (gauge `scylla_compaction_manager_compactions`). */
  active: number;
  /** Compaction tasks waiting (gauge `scylla_compaction_manager_pending_compactions`). */
  pending: number;
  /** Completed since the process started (counter). */
  completed: number;
}

/** Options of `SimCluster.inventory`. */
export interface SimInventoryOptions {
  /** Sets the inventory's `connection.prometheus.url` (the Prometheus the conditions query). @default unset */
  prometheusUrl?: string;
}

/** A summary of a node for tests and `GET /_sim/state`. */
export interface SimNodeSummary {
  id: string;
  address: string;
  dc: string;
  rack: string;
  hostId: string;
  hostUp: boolean;
  unit: string;
  process: boolean;
  mode: string;
  gossip: boolean;
  nativeTransport: boolean;
  left: boolean;
  pendingCompactions: number;
  activeCompactions: number;
}

/**
 * What a reader of a simulated cluster sees: its settings, clock, nodes and keyspaces, the ring,
 * each node's view of the others, and the figures metrics and read-only routes report. Every
 * read brings the simulation up to the clock first (see `sync`). Implemented by `SimCluster`.
 */
export interface SimClusterView {
  /** Options with defaults applied (timings in milliseconds, already scaled). */
  readonly options: ResolvedSimOptions;
  /** The clock driving the simulation. */
  readonly clock: Clock;
  /** The timing knobs in effect (milliseconds, already scaled). */
  readonly timing: Readonly<SimTiming>;
  /** The operation log. */
  readonly oplog: SimOpLog;
  /** Fault injection. */
  readonly faults: SimFaultInjector;
  /** Token ownership and membership changes. */
  readonly topology: SimTopology;
  /** Every keyspace (user keyspaces, then system keyspaces if enabled). */
  readonly keyspaces: readonly SimKeyspaceSpec[];
  /** Every node, in inventory order. */
  readonly nodes: readonly SimNode[];
  /** The node with this id; throws naming the known ids if there is none. */
  node(id: string): SimNode;
  /** The node with this simulated address, if any. */
  nodeByAddress(address: string): SimNode | undefined;
  /** The keyspace with this name, if any. */
  keyspace(name: string): SimKeyspaceSpec | undefined;
  /** Applies every state change due by now (clock time). */
  sync(): void;
  /** Whether `viewer` currently sees `target` up through gossip. */
  seesUp(viewer: SimNode, target: SimNode): boolean;
  /** Nodes that are gossip members. */
  members(): SimNode[];
  /** Addresses `viewer` lists in `/gossiper/endpoint/live`, sorted. */
  liveEndpoints(viewer: SimNode): string[];
  /** Addresses `viewer` lists in `/gossiper/endpoint/down`, sorted. */
  downEndpoints(viewer: SimNode): string[];
  /** Replica node ids of every token range of a keyspace, by ring position. */
  replicaSets(ks: SimKeyspaceSpec, localNode?: string): { start: string; end: string; replicas: string[] }[];
  /** The node's settings from scylla.yaml as read at its last start. */
  configOf(node: SimNode): Record<string, unknown>;
  /** The schema version a node reports. */
  schemaVersionOf(node: SimNode): string;
  /** Whether the node's REST API accepts connections now. */
  apiAccepting(node: SimNode): boolean;
  /** Whether the node's metrics endpoint accepts connections now. */
  metricsAccepting(node: SimNode): boolean;
  /** Compaction figures per shard at the current instant. */
  compactions(node: SimNode): ShardCompactions[];
  /** Progress (0..1) of the running compaction of a shard. */
  compactionProgress(node: SimNode): number;
  /** `"Drained <remaining>/<total> ColumnFamilies"` numbers. */
  drainProgress(node: SimNode): { remaining: number; total: number };
  /** A topology request's streaming progress now, in percent (`undefined` before it streams). */
  streamingPercent(requestId: string): StreamingPercent | undefined;
}

/**
 * What the REST routes, the emulated shell and the HTTP control server may ask of a simulated
 * cluster: the {@link SimClusterView} and the operations behind each endpoint and command.
 * Implemented by `SimCluster`, whose methods document each operation.
 */
export interface SimClusterControl extends SimClusterView {
  /** The events scheduled on the simulated timeline. */
  readonly scheduler: Scheduler;
  /** Registers a listener called after state changes; returns its removal. */
  onChange(listener: () => void): () => void;
  /** Appends to the oplog at the current simulated instant. */
  log(node: SimNode, actor: SimActor, action: string, detail?: Record<string, unknown>): void;
  /** Waits `ms` of clock time. */
  pause(ms: number): Promise<void>;
  /** Sends a REST request to a node in-process. */
  request(nodeId: string, method: string, url: string): Promise<SimRestReply>;
  /** A one-line-per-node summary. */
  summary(): SimNodeSummary[];
  /** The cluster as core's `ClusterInventory`. */
  inventory(options?: SimInventoryOptions): ClusterInventory;
  /** Ports of a node's servers (after `start`). */
  ports(nodeId: string): { api: number; metrics: number; control: number };
  // ---- process life (emulated systemd)
  /** `systemctl start scylla-server`: exit 0 at READY=1, exit 1 if the process dies while starting. */
  systemctlStart(nodeOrId: SimNode | string, actor?: SimActor): Promise<SystemctlResult>;
  /** `systemctl stop scylla-server`: a graceful shutdown taking `stopMs`. */
  systemctlStop(nodeOrId: SimNode | string, actor?: SimActor): Promise<SystemctlResult>;
  /** `systemctl restart scylla-server`: stop, then start. */
  systemctlRestart(nodeOrId: SimNode | string, actor?: SimActor): Promise<SystemctlResult>;
  /** Reboots the host: away for `rebootMs`, then scylla starts. */
  reboot(nodeOrId: SimNode | string, actor?: SimActor): void;
  /** Kills the process (with `host: true` the host powers off too). */
  kill(nodeOrId: SimNode | string, options?: { host?: boolean }): void;
  /** Powers a host back on; scylla starts. */
  powerOn(nodeOrId: SimNode | string): void;
  // ---- storage service
  /** `POST /storage_service/drain`: resolves once DRAINED (after `drainMs`). */
  drain(nodeOrId: SimNode | string, actor?: SimActor): Promise<void>;
  /** Starts or stops gossip. */
  setGossip(node: SimNode, on: boolean, actor: SimActor): void;
  /** Starts or stops the native transport. */
  setNativeTransport(node: SimNode, on: boolean, actor: SimActor): void;
  /** Keyspace cleanup; takes `cleanupMs`; resolves with 0. */
  cleanup(node: SimNode, keyspace: string, actor?: SimActor): Promise<number>;
  /** Flush of one keyspace (or all when `keyspace` is undefined); takes `flushMs`. */
  flush(node: SimNode, keyspace: string | undefined, actor?: SimActor): Promise<void>;
  /** Takes snapshot `tag` of the keyspaces (all when none given). */
  snapshot(node: SimNode, tag: string, keyspaces: string[] | undefined, actor?: SimActor): Promise<void>;
  /** Deletes snapshot `tag` (every snapshot when undefined) of the keyspaces given (or all). */
  deleteSnapshot(node: SimNode, tag: string | undefined, keyspaces: string[] | undefined, actor?: SimActor): void;
  // ---- repair
  /** Starts a repair of `keyspace`; returns its id (1, 2, ... per process). */
  startRepair(node: SimNode, keyspace: string, actor?: SimActor): number;
  /** A repair's state; 400 for an unknown id. */
  repairStatus(node: SimNode, id: number): 'RUNNING' | 'SUCCESSFUL' | 'FAILED';
  /** Waits for a repair to end, at most `timeoutMs` (undefined: no limit) of clock time. */
  awaitRepair(node: SimNode, id: number, timeoutMs: number | undefined): Promise<'RUNNING' | 'SUCCESSFUL' | 'FAILED'>;
  /** Ids of running repairs. */
  activeRepairs(node: SimNode): number[];
  /** Every running repair fails. */
  terminateRepairs(node: SimNode, actor?: SimActor): void;
  // ---- membership
  /** Decommissions the node (LEAVING, then DECOMMISSIONED). */
  decommission(node: SimNode, actor?: SimActor): Promise<void>;
  /** Removes the dead node `hostId` from the ring, coordinated by `coordinator`. */
  removeNode(coordinator: SimNode, hostId: string, actor?: SimActor): Promise<void>;
  /** Rebuilds the node's data from `sourceDc` (any when undefined). */
  rebuild(node: SimNode, sourceDc: string | undefined, actor?: SimActor): Promise<void>;
  /** Bootstraps a new node into `dc`/`rack`; resolves with it once NORMAL. */
  bootstrapNode(spec: { dc: string; rack: string }, actor?: SimActor): Promise<SimNode>;
  /** Replaces the dead node `deadId` by a new node; resolves with the new node. */
  replaceNode(deadId: string, actor?: SimActor): Promise<SimNode>;
}
