import type { Clock } from '@scylla-cp/core';

/** One datacenter of a {@link SimCluster}: its name and its zones (one Scylla rack per zone). */
export interface SimDatacenterSpec {
  /** Datacenter name, as the snitch reports it (e.g. `dc1`). */
  name: string;
  /** Zone names; each zone is also the Scylla rack name of its nodes (e.g. `['rack1','rack2','rack3']`). */
  zones: string[];
}

/**
 * A keyspace's replication map, in CQL's own shape:
 * `{ class: 'NetworkTopologyStrategy', dc1: 3 }`, `{ class: 'SimpleStrategy', replication_factor: 3 }`,
 * `{ class: 'LocalStrategy' }` or `{ class: 'EverywhereStrategy' }`.
 */
export interface SimReplication {
  /** Strategy class; the `org.apache.cassandra.locator.` prefix is optional. */
  class: string;
  /** Replication factor per datacenter (NetworkTopologyStrategy) or `replication_factor` (SimpleStrategy). */
  [option: string]: string | number;
}

/** A keyspace of the simulated cluster. */
export interface SimKeyspaceSpec {
  /** Keyspace name. */
  name: string;
  /** Replication map (see {@link SimReplication}). */
  replication: SimReplication;
  /** Table names. @default ['t1'] */
  tables?: string[];
}

/**
 * Durations of the simulated cluster, in milliseconds of the injected clock. Every value is
 * multiplied by {@link SimClusterOptions.timeScale}. Startup offsets are counted from the moment
 * `systemctl start scylla-server` runs; they must be increasing in the order listed.
 */
export interface SimTiming {
  /** Peers mark a node down this long after its gossip stopped (drain, stop, crash). @default 2000 */
  failureDetectionDelayMs: number;
  /** Peers see a node up this long after its gossip started. @default 500 */
  gossipPropagationMs: number;
  /** Duration of `POST /storage_service/drain` (DRAINING to DRAINED). @default 1000 */
  drainMs: number;
  /** Duration of `systemctl stop scylla-server` on a running node. @default 500 */
  stopMs: number;
  /** Startup: the REST API and the metrics endpoint start listening (system, snitch, storage_proxy groups registered). @default 200 */
  apiListenMs: number;
  /** Startup: token_metadata, gossiper and failure_detector API groups registered. @default 400 */
  tokenMetadataMs: number;
  /** Startup: repair, compaction_manager and column_family API groups registered. @default 600 */
  compactionGroupMs: number;
  /** Startup: "starting storage service": systemd READY=1 (systemctl start returns), snapshot and storage_service groups registered, mode STARTING. @default 800 */
  storageServiceMs: number;
  /** Startup: "join cluster": mode JOINING, gossip starts. @default 1000 */
  joiningMs: number;
  /** Startup: mode NORMAL; the post-restart compaction backlog starts draining. @default 2000 */
  normalMs: number;
  /** Startup: native transport (CQL) up, the `/storage_service/native_transport` group registered, "serving". @default 2500 */
  nativeTransportMs: number;
  /** Compaction tasks queued per shard when a node becomes NORMAL after a start. @default 4 */
  restartCompactionBacklogPerShard: number;
  /** Time one compaction task takes (one runs at a time per shard). @default 1500 */
  compactionTaskMs: number;
  /** Duration of one `repair_async` repair. @default 3000 */
  repairMs: number;
  /** Duration of `POST /storage_service/keyspace_cleanup/{ks}`. @default 1000 */
  cleanupMs: number;
  /** Duration of a flush (`keyspace_flush`, `flush`) and of a snapshot. @default 100 */
  flushMs: number;
  /**
   * Duration of `POST /storage_service/decommission` (LEAVING to DECOMMISSIONED). With the Raft
   * topology this is the leaving node's streaming; the Raft steps around it take no time. @default 3000
   */
  decommissionMs: number;
  /**
   * Duration of `POST /storage_service/remove_node`. With the Raft topology this is the streaming
   * that every remaining normal node does at once. @default 2000
   */
  removeNodeMs: number;
  /** Raft topology only: the joining node's streaming when bootstrapping a new node or replacing a dead one. @default 3000 */
  bootstrapMs: number;
  /** Raft topology only: the node's streaming of `POST /storage_service/rebuild`. @default 3000 */
  rebuildMs: number;
  /** Host downtime of a reboot (`systemctl reboot`): the host is unreachable, then boots and starts scylla-server. @default 5000 */
  rebootMs: number;
  /** Duration of a package upgrade through the shell (`apt-get -y dist-upgrade`, `dnf -y upgrade`, ...). @default 3000 */
  packageUpgradeMs: number;
}

/** Defaults of {@link SimTiming}. */
export const DEFAULT_SIM_TIMING: Readonly<SimTiming> = Object.freeze({
  failureDetectionDelayMs: 2000,
  gossipPropagationMs: 500,
  drainMs: 1000,
  stopMs: 500,
  apiListenMs: 200,
  tokenMetadataMs: 400,
  compactionGroupMs: 600,
  storageServiceMs: 800,
  joiningMs: 1000,
  normalMs: 2000,
  nativeTransportMs: 2500,
  restartCompactionBacklogPerShard: 4,
  compactionTaskMs: 1500,
  repairMs: 3000,
  cleanupMs: 1000,
  flushMs: 100,
  decommissionMs: 3000,
  removeNodeMs: 2000,
  bootstrapMs: 3000,
  rebuildMs: 3000,
  rebootMs: 5000,
  packageUpgradeMs: 3000,
});

/** Options of a {@link SimCluster}. */
export interface SimClusterOptions {
  /** Cluster name (REST `cluster_name`, inventory `name`). @default 'sim-cluster' */
  name?: string;
  /**
   * Where topology lives. `'raft'`: a Raft topology group among the nodes (`RaftSimTopology`):
   * decommission, removenode, rebuild, `bootstrapNode` and `replaceNode` are topology requests
   * run by a topology coordinator, streaming takes the `timing` of the operation, and a node
   * that dies while streaming makes the coordinator roll the operation back. `'memory'`: the
   * gossip-era in-memory token ring (`TokenRingTopology`): decommission and removenode are timed
   * state flips, no bootstrap, replace or rebuild. @default 'raft'
   */
  topology?: 'raft' | 'memory';
  /**
   * Raft topology: how many founding nodes vote in the topology's Raft group; the others are
   * non-voting replicas. Voters are picked one per rack in turn (datacenters in order), so they
   * spread over racks. Capped at the node count. @default 5
   */
  raftVoters?: number;
  /** Datacenters and their zones. @default [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }] */
  datacenters?: SimDatacenterSpec[];
  /** Nodes in each zone. @default 2 */
  nodesPerZone?: number;
  /** User keyspaces. @default [{ name: 'ks1', replication: { class: 'NetworkTopologyStrategy', <every dc>: 3 }, tables: ['t1', 't2'] }] */
  keyspaces?: SimKeyspaceSpec[];
  /**
   * Add ScyllaDB's system keyspaces: `system`, `system_schema` (LocalStrategy) and
   * `system_distributed` (SimpleStrategy RF 3). Left out on purpose (add them through
   * `keyspaces` to rehearse them): `system_traces` (SimpleStrategy RF 2 in ScyllaDB: at QUORUM
   * no node could ever be taken down) and `system_distributed_everywhere` (EverywhereStrategy:
   * its describe_ring lists every node for every range, which makes large simulated clusters
   * slow to check). @default true
   */
  systemKeyspaces?: boolean;
  /** Duration overrides (milliseconds). @default {@link DEFAULT_SIM_TIMING} */
  timing?: Partial<SimTiming>;
  /** Multiplies every duration of `timing` (e.g. 0.1 for fast tests on the system clock). @default 1 */
  timeScale?: number;
  /** The clock that drives the simulation. @default new SystemClock() */
  clock?: Clock;
  /** Seed of the simulation's PRNG (tokens, host ids, probabilistic faults). @default 1 */
  seed?: number;
  /** Vnode tokens per node (`num_tokens`). @default 16 */
  tokensPerNode?: number;
  /** Shards (CPU cores) per node; metrics are per shard. @default 2 */
  shardsPerNode?: number;
  /** `scylla_release_version`. @default '2025.1.2-0.20250422.502c62d91' */
  scyllaVersion?: string;
  /** Address the HTTP servers bind to. Only 127.0.0.1 is supported by the tests. @default '127.0.0.1' */
  host?: string;
}

/** Options with every default applied. */
export interface ResolvedSimOptions {
  name: string;
  datacenters: SimDatacenterSpec[];
  nodesPerZone: number;
  keyspaces: SimKeyspaceSpec[];
  systemKeyspaces: boolean;
  timing: SimTiming;
  /** Where topology lives (see {@link SimClusterOptions.topology}). */
  topology: 'raft' | 'memory';
  /** Voters of the Raft topology group (see {@link SimClusterOptions.raftVoters}). */
  raftVoters: number;
  seed: number;
  tokensPerNode: number;
  shardsPerNode: number;
  scyllaVersion: string;
  host: string;
}

/** Applies defaults and validates; throws `InvalidInputError`-like plain errors naming the bad option. */
export function resolveSimOptions(options: SimClusterOptions): ResolvedSimOptions {
  const datacenters = options.datacenters ?? [{ name: 'dc1', zones: ['rack1', 'rack2', 'rack3'] }];
  if (datacenters.length === 0) throw new Error('SimCluster: `datacenters` must name at least one datacenter');
  for (const dc of datacenters) {
    if (dc.zones.length === 0) throw new Error(`SimCluster: datacenter "${dc.name}" has no zones`);
  }
  const nodesPerZone = options.nodesPerZone ?? 2;
  if (!Number.isInteger(nodesPerZone) || nodesPerZone < 1) {
    throw new Error(`SimCluster: nodesPerZone must be a positive integer, got ${nodesPerZone}`);
  }
  const scale = options.timeScale ?? 1;
  if (!(scale >= 0)) throw new Error(`SimCluster: timeScale must be >= 0, got ${scale}`);
  const merged: SimTiming = { ...DEFAULT_SIM_TIMING, ...options.timing };
  const timing = { ...merged };
  for (const k of Object.keys(timing) as (keyof SimTiming)[]) {
    if (k === 'restartCompactionBacklogPerShard') continue;
    timing[k] = merged[k] * scale;
  }
  const order: (keyof SimTiming)[] = ['apiListenMs', 'tokenMetadataMs', 'compactionGroupMs', 'storageServiceMs', 'joiningMs', 'normalMs', 'nativeTransportMs'];
  for (let i = 1; i < order.length; i++) {
    if (timing[order[i]!] < timing[order[i - 1]!]) {
      throw new Error(`SimCluster: timing.${order[i]} (${timing[order[i]!]}) must not be earlier than timing.${order[i - 1]} (${timing[order[i - 1]!]})`);
    }
  }
  const topology = options.topology ?? 'raft';
  if (topology !== 'raft' && topology !== 'memory') throw new Error(`SimCluster: topology must be 'raft' or 'memory', got ${JSON.stringify(topology)}`);
  const raftVoters = options.raftVoters ?? 5;
  if (!Number.isInteger(raftVoters) || raftVoters < 1) throw new Error(`SimCluster: raftVoters must be a positive integer, got ${raftVoters}`);
  const keyspaces = options.keyspaces ?? [
    {
      name: 'ks1',
      replication: Object.fromEntries([['class', 'NetworkTopologyStrategy'], ...datacenters.map((d) => [d.name, 3])]) as SimReplication,
      tables: ['t1', 't2'],
    },
  ];
  return {
    name: options.name ?? 'sim-cluster',
    datacenters,
    nodesPerZone,
    keyspaces,
    systemKeyspaces: options.systemKeyspaces ?? true,
    timing,
    topology,
    raftVoters,
    seed: options.seed ?? 1,
    tokensPerNode: options.tokensPerNode ?? 16,
    shardsPerNode: options.shardsPerNode ?? 2,
    scyllaVersion: options.scyllaVersion ?? '2025.1.2-0.20250422.502c62d91',
    host: options.host ?? '127.0.0.1',
  };
}
