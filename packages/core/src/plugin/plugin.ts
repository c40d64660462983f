import type { z } from 'zod';
import type { ClusterCondition, NodeCondition } from '../api/condition.js';
import type { ServiceProvider, ServiceRegistry } from '../api/services.js';
import type { ExecuteClusterTask, ExecuteNodeTask } from '../api/task.js';

const PLUGIN_MARK = Symbol.for('@scylla-cp/core.plugin');

/** A YAML tag's definition: its parameter schema and the factory that builds the instance. */
export interface TagDefinition<S extends z.ZodType, T> {
  /** One line saying what it does; shown by `scylla-cp schema` and in editors. */
  description: string;
  /**
   * zod schema of the tagged mapping's content (`!scylla-flush {keyspace: ks}` →
   * `{ keyspace: 'ks' }`; a bare tag `!scylla-drain` → `{}`). Use snake_case keys
   * and `.strict()` objects: unknown keys are errors.
   */
  params: S;
  /**
   * Builds the task or condition from validated parameters. `helpers.registry`
   * lets a definition build nested tags (e.g. the conditions inside
   * `!wait-for-conditions`).
   */
  create(params: z.output<S>, helpers: TagFactoryHelpers): T;
}

/** What a tag factory receives besides its parameters. */
export interface TagFactoryHelpers {
  /** The registry the tag was created from (a `PluginRegistry`). */
  registry: TagRegistry;
}

/**
 * What a node task does to its node's availability, for the engine's
 * disrupted-node set (`ctx.job.disruptedNodes`, used by `quorum-safe` and
 * every condition that reasons about liveness). Both default to `false`.
 */
export interface NodeTaskAvailability {
  /**
   * The task takes its node down, or may (drain, stop, restart, decommission,
   * a reboot). From the moment its preconditions pass (a decision the engine
   * serializes across the job's nodes) until a `restores` task of the node
   * succeeds, the node counts as down for the job's conditions. A disruptive
   * step of a node already in the set skips that serialization and
   * `quorum-safe` passes for it (it is already counted down).
   */
  disruptive?: boolean;
  /**
   * When the task succeeds the node is back in service, or on its way and
   * visibly so to its peers (start, restart): it leaves the disrupted set,
   * and conditions trust the cluster's own view of it again.
   */
  restores?: boolean;
}

/** A node task tag, with what it does to its node's availability. */
export type NodeTaskDefinition<S extends z.ZodType = z.ZodType> = TagDefinition<S, ExecuteNodeTask> & NodeTaskAvailability;
/** A cluster task tag. */
export type ClusterTaskDefinition<S extends z.ZodType = z.ZodType> = TagDefinition<S, ExecuteClusterTask>;
/** A condition tag; `scope` says whether it is checked per node or for the cluster. */
export type ConditionDefinition<S extends z.ZodType = z.ZodType> =
  | (TagDefinition<S, NodeCondition> & { scope: 'node' })
  | (TagDefinition<S, ClusterCondition> & { scope: 'cluster' });

/** What a plugin declares. Tags are written without the `!`. */
export interface PluginManifest {
  /** npm package name or other unique name, e.g. `@scylla-cp/tasks-scylla`. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /**
   * The core versions it works with, as a semver range (`^0.1.0`).
   * @default the running core's major.minor (`^<major>.<minor>.0`)
   */
  coreVersion?: string;
  nodeTasks?: Record<string, NodeTaskDefinition>;
  clusterTasks?: Record<string, ClusterTaskDefinition>;
  conditions?: Record<string, ConditionDefinition>;
  /** Default providers of the services its tasks use; callers can override them. */
  services?: ServiceProvider<unknown>[];
  /**
   * zod schemas of the inventory `connection` sections this plugin reads,
   * keyed by section name (e.g. `{ ssh: SshSettingsSchema }`). `plan()`
   * validates each node's merged section (the inventory's, with the node's
   * own merged over it) against every schema declared for that section, so a
   * bad port or a misspelt key fails when the job is planned, with its file
   * location. Sections that no plugin declares are left to whoever reads them.
   * @default {}
   */
  connectionSettings?: Record<string, z.ZodType>;
}

/** A checked, branded plugin, as returned by {@link definePlugin}. */
export type ScyllaCpPlugin = Readonly<PluginManifest> & { readonly [PLUGIN_MARK]: true };

/**
 * Declares a plugin. Returns the manifest frozen and branded (recognized even
 * when it was built with another copy of core). Checks happen when it is
 * registered in a `PluginRegistry`.
 */
export function definePlugin(manifest: PluginManifest): ScyllaCpPlugin {
  return Object.freeze({ ...manifest, [PLUGIN_MARK]: true as const });
}

/** Whether `value` was made by `definePlugin` (from any copy of core). */
export function isPlugin(value: unknown): value is ScyllaCpPlugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_MARK] === true;
}

/**
 * Declares a node task tag with its parameter type inferred from the schema:
 * `nodeTasks: { 'my-task': defineNodeTask({ description, params: z.object({...}).strict(), create: (p) => new MyTask(p) }) }`.
 */
export function defineNodeTask<S extends z.ZodType>(definition: TagDefinition<S, ExecuteNodeTask> & NodeTaskAvailability): NodeTaskDefinition {
  return definition as unknown as NodeTaskDefinition;
}

/** Declares a cluster task tag with inferred parameter types (see {@link defineNodeTask}). */
export function defineClusterTask<S extends z.ZodType>(definition: TagDefinition<S, ExecuteClusterTask>): ClusterTaskDefinition {
  return definition as unknown as ClusterTaskDefinition;
}

/** Declares a condition tag with inferred parameter types; `scope` says node or cluster. */
export function defineCondition<S extends z.ZodType>(
  definition: (TagDefinition<S, NodeCondition> & { scope: 'node' }) | (TagDefinition<S, ClusterCondition> & { scope: 'cluster' }),
): ConditionDefinition {
  return definition as unknown as ConditionDefinition;
}

/** The kind of a registered tag. */
export type TagKind = 'nodeTask' | 'clusterTask' | 'condition';

/** A registered tag and the plugin that owns it. */
export interface RegisteredTag {
  tag: string;
  kind: TagKind;
  plugin: string;
  definition: NodeTaskDefinition | ClusterTaskDefinition | ConditionDefinition;
}

/**
 * What a tag factory can ask of the registry it was created from (its
 * `helpers.registry`): lookups and building nested tags. `PluginRegistry`
 * implements it; registration is not part of it.
 */
export interface TagRegistry {
  /** Registered plugins, in registration order. */
  plugins(): ScyllaCpPlugin[];
  /** Every registered tag, or those of one kind. */
  tags(kind?: TagKind): RegisteredTag[];
  /** The registration of `tag` as `kind`, if any. */
  lookup(kind: TagKind, tag: string): RegisteredTag | undefined;
  nodeTask(tag: string): NodeTaskDefinition | undefined;
  clusterTask(tag: string): ClusterTaskDefinition | undefined;
  condition(tag: string): ConditionDefinition | undefined;
  /**
   * Validates `params` with the tag's schema and builds the instance.
   * @throws InvalidInputError for an unknown tag or invalid parameters.
   */
  create(kind: 'nodeTask', tag: string, params: unknown): ReturnType<NodeTaskDefinition['create']>;
  create(kind: 'clusterTask', tag: string, params: unknown): ReturnType<ClusterTaskDefinition['create']>;
  create(kind: 'condition', tag: string, params: unknown): ReturnType<ConditionDefinition['create']>;
  /** The service providers the registered plugins bring. */
  readonly services: ServiceRegistry;
}
