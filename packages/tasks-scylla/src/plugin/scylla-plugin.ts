import { ConditionCheck, definePlugin, durationSecondsSchema } from '@scylla-cp/core';
import { z } from 'zod';
import { ClusterNormal } from '../conditions/cluster-normal.js';
import { NoTopologyChange } from '../conditions/no-topology-change.js';
import { NodeUpNormal } from '../conditions/node-up-normal.js';
import { ScyllaPendingCompactions } from '../conditions/pending-compactions.js';
import { QuorumSafe } from '../conditions/quorum-safe.js';
import { SchemaAgreement } from '../conditions/schema-agreement.js';
import { topologyJoinConditions, topologyJoinNodeTasks, topologyJoinSchemas } from './topology-join-tags.js';
import { ScyllaApiSettingsSchema, ShellSettingsSchema, SshSettingsSchema } from '../services/connection-settings.js';
import { ScyllaApiProviders, type ScyllaApiProvidersOptions } from '../services/scylla-api-service.js';
import { RING_UNCHANGED_TAG } from '../ring/scylla-ring.js';
import { ScyllaRingUnchanged } from '../ring/scylla-ring-unchanged.js';
import { nodeShellProvider } from '../shell/node-shell-provider.js';
import { MaintenanceMarkerTask, maintenanceMarkerParams, type MaintenanceMarkerParams } from '../tasks/maintenance-marker.js';
import { ScyllaRaftStepdown, raftStepdownParams, type RaftStepdownParams } from '../tasks/scylla-raft-stepdown.js';
import { TabletBalancingTask, tabletBalancingParams } from '../tasks/tablet-balancing.js';
import { ScyllaCleanup } from '../tasks/scylla-cleanup.js';
import { ScyllaClusterCleanup, clusterCleanupParams, type ClusterCleanupParams } from '../tasks/scylla-cluster-cleanup.js';
import { ScyllaConfigSet } from '../tasks/scylla-config-set.js';
import { ScyllaDecommission } from '../tasks/scylla-decommission.js';
import { ScyllaDrain } from '../tasks/scylla-drain.js';
import { ScyllaFlush } from '../tasks/scylla-flush.js';
import { ScyllaRemoveNode } from '../tasks/scylla-removenode.js';
import { ScyllaRepair } from '../tasks/scylla-repair.js';
import { ScyllaSnapshot } from '../tasks/scylla-snapshot.js';
import { RunCommandTask, runCommandParams, type RunCommandParams } from '../tasks/run-command-task.js';
import { SystemdServiceTask } from '../tasks/systemd-service-task.js';

/** This package's version, as the plugin declares it. */
export const TASKS_SCYLLA_VERSION = '0.1.0';

const name = z.string().min(1);
const names = z.array(name).min(1);
/** Every `*_seconds` parameter: > 0 and at most 30 days, like every duration of the workflow language. */
const positive = durationSecondsSchema();
const unit = z.string().regex(/^[A-Za-z0-9:_.@\\-]+$/, 'a systemd unit name (letters, digits, ":_.@\\-")');

/** Parameter schemas of every tag, by tag (snake_case keys, strict objects). */
export const scyllaTagSchemas = {
  'scylla-drain': z.object({ drain_timeout_seconds: positive.optional() }).strict(),
  'systemd-stop-scylla-server': z.object({ command_timeout_seconds: positive.optional() }).strict(),
  'systemd-start-service': z.object({ service: unit, command_timeout_seconds: positive.optional() }).strict(),
  'systemd-stop-service': z.object({ service: unit, command_timeout_seconds: positive.optional() }).strict(),
  'systemd-restart-service': z.object({ service: unit, command_timeout_seconds: positive.optional() }).strict(),
  'scylla-flush': z.object({ keyspace: name.optional(), tables: names.optional() }).strict(),
  'scylla-cleanup': z.object({ keyspace: name, tables: names.optional(), poll_interval_seconds: positive.optional() }).strict(),
  'scylla-repair': z
    .object({
      keyspace: name,
      tables: names.optional(),
      primary_range: z.boolean().optional(),
      parallelism: z.enum(['sequential', 'parallel', 'dc_parallel']).optional(),
      data_centers: names.optional(),
      hosts: names.optional(),
      ignore_nodes: names.optional(),
      ranges_parallelism: z.number().int().positive().optional(),
      small_table_optimization: z.boolean().optional(),
      poll_interval_seconds: positive.optional(),
    })
    .strict(),
  'scylla-snapshot': z.object({ tag: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_", "-"'), keyspaces: names.optional(), skip_flush: z.boolean().optional() }).strict(),
  'scylla-config-set': z
    .object({
      settings: z.record(z.string().min(1), z.unknown()).refine((s) => Object.keys(s).length > 0, 'at least one setting'),
      config_path: z.string().startsWith('/').optional(),
      command_timeout_seconds: positive.optional(),
    })
    .strict(),
  'scylla-decommission': z.object({ poll_interval_seconds: positive.optional() }).strict(),
  'scylla-removenode': z.object({ host_id: z.guid(), ignore_nodes: names.optional(), poll_interval_seconds: positive.optional() }).strict(),
  'quorum-safe': z.object({ level: z.enum(['quorum', 'local_quorum']).optional(), ignore_keyspaces: names.optional() }).strict(),
  'cluster-normal': z.object({}).strict(),
  'node-up-normal': z.object({}).strict(),
  'schema-agreement': z.object({}).strict(),
  'no-topology-change': z.object({}).strict(),
  'scylla-pending-compactions': z.object({ max: z.number().int().nonnegative() }).strict(),
  ...topologyJoinSchemas, // issue 19 (topology-join-tags.ts)
} as const;

const S = scyllaTagSchemas;
type P<K extends keyof typeof S> = z.output<(typeof S)[K]>;

/**
 * Builds the tasks-scylla plugin. Each call has its own REST client cache (one pool per node),
 * released when the engine disposes services. Most callers use {@link scyllaPlugin}; pass
 * `poolFactory` to route REST calls through another HTTP pool (e.g. the simulator's in-process
 * one: `createScyllaPlugin({ poolFactory: (node) => simRequestPool(cluster, node.id) })`).
 */
export function createScyllaPlugin(options: ScyllaApiProvidersOptions = {}) {
  const api = new ScyllaApiProviders(options);
  const removenode = {
    description: 'Remove a dead node from the cluster by host id (POST /storage_service/remove_node), coordinated by a NORMAL node',
    params: S['scylla-removenode'],
    create: (p: P<'scylla-removenode'>) => new ScyllaRemoveNode({ hostId: p.host_id, ignoreNodes: p.ignore_nodes, pollIntervalSeconds: p.poll_interval_seconds }),
  };
  return definePlugin({
    name: '@scylla-cp/tasks-scylla',
    version: TASKS_SCYLLA_VERSION,
    // Validated by plan(): a bad port or a misspelt key fails before the job starts.
    connectionSettings: { scylla_api: ScyllaApiSettingsSchema, ssh: SshSettingsSchema, shell: ShellSettingsSchema },
    nodeTasks: {
      'scylla-drain': {
        disruptive: true,
        description: 'Drain the node (flush memtables, stop CQL and gossip); done if already DRAINED; guarded by quorum-safe and cluster-normal',
        params: S['scylla-drain'],
        create: (p: P<'scylla-drain'>) => new ScyllaDrain({ timeoutSeconds: p.drain_timeout_seconds }),
      },
      'systemd-stop-scylla-server': {
        disruptive: true,
        description: 'systemctl stop scylla-server, guarded by quorum-safe',
        params: S['systemd-stop-scylla-server'],
        create: (p: P<'systemd-stop-scylla-server'>) =>
          new SystemdServiceTask({
            tag: 'systemd-stop-scylla-server',
            verb: 'stop',
            service: 'scylla-server',
            timeoutSeconds: p.command_timeout_seconds,
            preconditions: [ConditionCheck.withDefaults(new QuorumSafe())],
          }),
      },
      'systemd-start-service': {
        restores: true,
        description: 'systemctl start <service>, then check it is active',
        params: S['systemd-start-service'],
        create: (p: P<'systemd-start-service'>) =>
          new SystemdServiceTask({ tag: 'systemd-start-service', verb: 'start', service: p.service, timeoutSeconds: p.command_timeout_seconds }),
      },
      'systemd-stop-service': {
        description: 'systemctl stop <service>, then check it is not active (no quorum guard: use systemd-stop-scylla-server for Scylla)',
        params: S['systemd-stop-service'],
        create: (p: P<'systemd-stop-service'>) =>
          new SystemdServiceTask({ tag: 'systemd-stop-service', verb: 'stop', service: p.service, timeoutSeconds: p.command_timeout_seconds }),
      },
      'systemd-restart-service': {
        disruptive: true,
        restores: true,
        description: 'systemctl restart <service>, then check it is active',
        params: S['systemd-restart-service'],
        create: (p: P<'systemd-restart-service'>) =>
          new SystemdServiceTask({ tag: 'systemd-restart-service', verb: 'restart', service: p.service, timeoutSeconds: p.command_timeout_seconds }),
      },
      'scylla-flush': {
        description: 'Flush memtables of a keyspace (or of every keyspace)',
        params: S['scylla-flush'],
        create: (p: P<'scylla-flush'>) => new ScyllaFlush({ keyspace: p.keyspace, tables: p.tables }),
      },
      'scylla-cleanup': {
        description: 'Clean up data the node no longer owns in a keyspace; waits for a cleanup already running; guarded by no-topology-change (cluster-wide in one call: !scylla-cluster-cleanup)',
        params: S['scylla-cleanup'],
        create: (p: P<'scylla-cleanup'>) => new ScyllaCleanup({ keyspace: p.keyspace, tables: p.tables, pollIntervalSeconds: p.poll_interval_seconds }),
      },
      'scylla-repair': {
        description: 'Repair a keyspace with an async repair and wait for it; attaches to the repair already running on resume',
        params: S['scylla-repair'],
        create: (p: P<'scylla-repair'>) =>
          new ScyllaRepair({
            keyspace: p.keyspace,
            tables: p.tables,
            primaryRange: p.primary_range,
            parallelism: p.parallelism,
            dataCenters: p.data_centers,
            hosts: p.hosts,
            ignoreNodes: p.ignore_nodes,
            rangesParallelism: p.ranges_parallelism,
            smallTableOptimization: p.small_table_optimization,
            pollIntervalSeconds: p.poll_interval_seconds,
          }),
      },
      'scylla-snapshot': {
        description: 'Take a snapshot with a tag (of some or all keyspaces); completes a partial one, never duplicates',
        params: S['scylla-snapshot'],
        create: (p: P<'scylla-snapshot'>) => new ScyllaSnapshot({ tag: p.tag, keyspaces: p.keyspaces, skipFlush: p.skip_flush }),
      },
      'scylla-config-set': {
        description: 'Set keys in scylla.yaml through the node shell: comments kept, backup, atomic write; a no-op when already set',
        params: S['scylla-config-set'],
        create: (p: P<'scylla-config-set'>) =>
          new ScyllaConfigSet({ settings: p.settings, configPath: p.config_path, commandTimeoutSeconds: p.command_timeout_seconds }),
      },
      'scylla-decommission': {
        disruptive: true,
        description: 'Decommission the node (stream its data away and leave the ring); waits if already LEAVING',
        params: S['scylla-decommission'],
        create: (p: P<'scylla-decommission'>) => new ScyllaDecommission({ pollIntervalSeconds: p.poll_interval_seconds }),
      },
      'scylla-removenode': removenode,
      'run-command': {
        description: 'Run one command (argv, never shell-interpreted) on the node through its node shell; for OS upgrades and other host work',
        params: runCommandParams,
        create: (p: RunCommandParams) => new RunCommandTask(p),
      },
      // issue 15: role-aware restarts
      ...topologyJoinNodeTasks(), // issue 19: scylla-bootstrap, scylla-replace (topology-join-tags.ts)
      'scylla-raft-stepdown': {
        description: 'If the node leads Raft group0, hand leadership to another node (POST /raft/trigger_stepdown/) and wait until it did',
        params: raftStepdownParams,
        create: (p: RaftStepdownParams) => new ScyllaRaftStepdown(p),
      },
    },
    clusterTasks: {
      'scylla-removenode': removenode,
      // issue 16: ScyllaDB's cluster-wide cleanup through the topology coordinator (scylla-cluster-cleanup.ts)
      'scylla-cluster-cleanup': {
        description: 'Clean up every node that lost ranges, cluster-wide through the topology coordinator (POST /storage_service/cleanup_all/?global=true, nodetool cluster cleanup); waits for its end',
        params: clusterCleanupParams,
        create: (p: ClusterCleanupParams) => new ScyllaClusterCleanup(p),
      },
      // issue 15: clean-up tasks for finally_tasks
      'tablet-balancing': {
        description: 'Turn tablet load balancing on or off (POST /storage_service/tablets/balancing?enabled=)',
        params: tabletBalancingParams,
        create: (p: { enabled: boolean }) => new TabletBalancingTask(p.enabled),
      },
      'maintenance-marker': {
        description: 'Write the maintenance marker (Prometheus textfile gauge scylla_cp_maintenance 1/0) on every node through its shell',
        params: maintenanceMarkerParams,
        create: (p: MaintenanceMarkerParams) => new MaintenanceMarkerTask(p),
      },
    },
    conditions: {
      [RING_UNCHANGED_TAG]: {
        scope: 'cluster',
        description: 'The token ring of the given keyspaces still has the digest the plan was made from (put before each node of a replica_set step)',
        params: z.strictObject({ keyspaces: z.array(z.string().min(1)).min(1), digest: z.string().regex(/^[0-9a-f]{64}$/) }),
        create: (p: { keyspaces: string[]; digest: string }) => new ScyllaRingUnchanged(p),
      },
      'quorum-safe': {
        scope: 'node',
        description: 'Taking this node down keeps every token range it replicates at or above (local) quorum among live replicas',
        params: S['quorum-safe'],
        create: (p: P<'quorum-safe'>) => new QuorumSafe({ level: p.level, ignoreKeyspaces: p.ignore_keyspaces }),
      },
      'cluster-normal': {
        scope: 'cluster',
        description: 'Every node is UN (nodetool rules) and the schema agrees',
        params: S['cluster-normal'],
        create: () => new ClusterNormal(),
      },
      'node-up-normal': {
        scope: 'node',
        description: 'This node is NORMAL, UN in its own view, and its CQL server is up',
        params: S['node-up-normal'],
        create: () => new NodeUpNormal(),
      },
      'schema-agreement': {
        scope: 'cluster',
        description: 'All live nodes report one schema version',
        params: S['schema-agreement'],
        create: () => new SchemaAgreement(),
      },
      'no-topology-change': {
        scope: 'cluster',
        description: 'No node is joining, leaving or moving',
        params: S['no-topology-change'],
        create: () => new NoTopologyChange(),
      },
      ...topologyJoinConditions(), // issue 19: topology-request-done, node-joined (topology-join-tags.ts)
      'scylla-pending-compactions': {
        scope: 'node',
        description: "The node's pending-compaction estimate (REST) is at most max",
        params: S['scylla-pending-compactions'],
        create: (p: P<'scylla-pending-compactions'>) => new ScyllaPendingCompactions(p.max),
      },
    },
    services: [api.nodeProvider(), api.clientsProvider(), nodeShellProvider],
  });
}

/**
 * The tasks-scylla plugin: every task and condition tag above, and the default providers of
 * `ScyllaApiService`, `ScyllaApiClientsService` and `NodeShellService` (override them by
 * registering other providers after the plugin, e.g. the simulator's shell).
 */
export const scyllaPlugin = createScyllaPlugin();
