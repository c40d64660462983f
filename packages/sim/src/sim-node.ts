import type { OperationMode as RestOperationMode } from '@scylla-cp/tasks-scylla';

/**
 * Scylla's `storage_service::mode` inside the simulator: the values the REST
 * API prints (tasks-scylla's `OperationMode`), plus `NONE`, which the API
 * prints as `STARTING`.
 */
export type OperationMode = RestOperationMode | 'NONE';

/** The value of `scylla_node_operation_mode` for each mode (NONE and STARTING → 1, BOOTSTRAP → 2). */
export const OPERATION_MODE_METRIC: Readonly<Record<OperationMode, number>> = Object.freeze({
  NONE: 1,
  STARTING: 1,
  JOINING: 2,
  BOOTSTRAP: 2,
  NORMAL: 3,
  LEAVING: 4,
  DECOMMISSIONED: 5,
  DRAINING: 6,
  DRAINED: 7,
  MOVING: 8,
  MAINTENANCE: 9,
});

/** The REST string of a mode (`"STARTING"` for NONE). */
export function restMode(mode: OperationMode): string {
  return mode === 'NONE' ? 'STARTING' : mode;
}

/** State of a systemd unit, as `systemctl is-active` prints it. */
export type UnitState = 'inactive' | 'activating' | 'active' | 'deactivating' | 'failed';

/**
 * A group of REST routes that Scylla registers at one point of its startup; until then its
 * paths answer 404 "Not found".
 */
export type ApiGroup =
  | 'system'
  | 'snitch'
  | 'task_manager'
  | 'storage_proxy'
  | 'token_metadata'
  | 'gossiper'
  | 'failure_detector'
  | 'repair'
  | 'compaction_manager'
  | 'column_family'
  | 'snapshot'
  | 'storage_service'
  | 'transport';

/** One async repair of a node. */
export interface SimRepair {
  id: number;
  keyspace: string;
  startAtMs: number;
  endAtMs: number;
  /** `RUNNING` until `endAtMs`, then the outcome. */
  status: 'RUNNING' | 'SUCCESSFUL' | 'FAILED';
  outcome: 'SUCCESSFUL' | 'FAILED';
}

/** The post-restart compaction backlog of a node (a lazily evaluated function of time). */
export interface CompactionBacklog {
  startAtMs: number;
  /** Tasks queued per shard at `startAtMs`. */
  tasksPerShard: number[];
  taskMs: number;
  /** Progress frozen at this time (fault "compactions never settle"). */
  frozenAtMs?: number;
}

/** A snapshot entry of one table. */
export interface SimSnapshotEntry {
  ks: string;
  cf: string;
  total: number;
  live: number;
}

/** A file of the node's virtual filesystem. */
export interface SimFile {
  content: string;
  /** Octal mode, e.g. 0o644. */
  mode: number;
  owner: string;
  mtimeMs: number;
}

/**
 * The mutable state of one simulated node. Owned and changed by {@link SimCluster}; read it
 * through the cluster's methods rather than changing fields directly.
 */
export class SimNode {
  /** Inventory id, e.g. `dc1-rack1-n1`. */
  readonly id: string;
  /** The node's simulated broadcast address (what gossip and the REST API report), e.g. `10.1.0.1`. */
  readonly address: string;
  readonly dc: string;
  readonly rack: string;
  readonly zone: string;
  /** Host id (UUID). */
  readonly hostId: string;
  /** Position in the cluster (0-based). */
  readonly index: number;
  readonly shards: number;

  /** The host (VM) is powered on: its shell answers. */
  hostUp = true;
  /** The scylla process is running. */
  process = true;
  /** State of `scylla-server.service`. */
  unit: UnitState = 'active';
  /** Boot counter; scheduled events of an older boot are ignored. */
  boot = 1;
  bootAtMs: number;
  /** Gossip generation (seconds since the epoch at boot). */
  generation: number;
  mode: OperationMode = 'NORMAL';
  /** The REST API is listening (false before `apiListenMs` of a boot and while the process is down). */
  apiListening = true;
  groups = new Set<ApiGroup>();
  /** Gossip enabled on this node; peers see the change after a delay. */
  gossipUp = true;
  /** When `gossipUp` last changed (-Infinity: since before the simulation began). */
  gossipSinceMs = Number.NEGATIVE_INFINITY;
  /** The node announced its shutdown (it is no longer in its own live list). */
  shutdownAnnounced = false;
  nativeTransport = true;
  /** Time the node began "serving" (native transport up) on this boot. */
  servingSinceMs: number;
  /** Drain progress: total column families and when the drain started / ends. */
  drain: { totalCfs: number; startAtMs: number; endAtMs: number } | undefined;
  compaction: CompactionBacklog | undefined;
  /** Completed compactions per shard before the current backlog. */
  completedCompactions: number[];
  cleanups: { ks: string; startAtMs: number; endAtMs: number }[] = [];
  repairs = new Map<number, SimRepair>();
  repairSeq = 0;
  snapshots = new Map<string, SimSnapshotEntry[]>();
  /** The node left the ring (decommissioned or removed). */
  left = false;
  /**
   * A new node not in the ring yet (see `SimCluster.addNewNode`): its first start asks the
   * topology to join it, or to replace the node whose host id its scylla.yaml names in
   * `replace_node_first_boot`.
   */
  pendingJoin = false;
  /** For the inventory only: the id of the dead node this new node is meant to replace. */
  replacesId: string | undefined;
  schemaVersion: string;
  files = new Map<string, SimFile>();
  /** Other systemd units on the node and whether each is active. */
  otherUnits = new Map<string, boolean>();
  /** Parsed scylla.yaml of the current boot (read it through `SimCluster.configOf`). */
  config: Record<string, unknown> = {};
  /** Whether `config` holds the parsed file (it is parsed lazily before the first start). */
  configLoaded = false;
  /** CQL requests served (counter for `scylla_transport_requests_served`). */
  requestsServedBase = 0;

  constructor(init: {
    id: string;
    address: string;
    dc: string;
    rack: string;
    zone: string;
    hostId: string;
    index: number;
    shards: number;
    nowMs: number;
    schemaVersion: string;
  }) {
    this.id = init.id;
    this.address = init.address;
    this.dc = init.dc;
    this.rack = init.rack;
    this.zone = init.zone;
    this.hostId = init.hostId;
    this.index = init.index;
    this.shards = init.shards;
    this.bootAtMs = init.nowMs - 86_400_000;
    this.generation = Math.floor(this.bootAtMs / 1000);
    this.servingSinceMs = this.bootAtMs;
    this.schemaVersion = init.schemaVersion;
    this.completedCompactions = new Array<number>(init.shards).fill(0);
  }
}
