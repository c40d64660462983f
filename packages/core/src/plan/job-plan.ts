import type { VariableValue } from '../api/context.js';
import type { ClusterInventory } from '../inventory/inventory.js';
import type { MaintenanceWindowSpec } from '../util/maintenance-window.js';
import type { ConcurrencyUnit, ReplicaSetWithin, RetryBackoff } from '../workflow/workflow.js';
import type { PlannedCondition } from './token-ring.js';
import type { SharedRange } from './conflict-graph.js';

/** Which nodes a job targets. Nodes are named by id or address. */
export interface Targeting {
  /** Explicit nodes. Mutually exclusive with `zones`. */
  nodes?: string[];
  /** Every node of these zones. */
  zones?: string[];
  /** Removed from the selection. */
  exclude?: string[];
}

/** A resolved task invocation: plain JSON, safe to store. */
export interface TaskSpec {
  tag: string;
  /** Parameters after variable substitution (JSON). */
  params: unknown;
  /** Retries after the first attempt. */
  retries: number;
  retryBackoff: RetryBackoff;
  /** Per-attempt timeout, seconds; absent: none. */
  timeoutSeconds?: number;
  /**
   * Seconds the engine waits, after an attempt timed out or was aborted, for
   * its `execute` (or condition check) to settle before it gives up on the
   * node (YAML `abandon_grace_seconds`, >= 0, at most 30 days). Absent: the
   * engine uses {@link DEFAULT_ABANDON_GRACE_SECONDS} (60). Plans stored
   * before this field existed lack it and get the default too.
   */
  abandonGraceSeconds?: number;
  /** Conditions checked before the task's own preconditions, on each attempt (gates, ring re-check). Absent: none. */
  preconditions?: PlannedPreconditions;
}

/**
 * Conditions the planner adds to a task's own preconditions (`preconditions()`
 * of the task instance): the workflow's `gates`, and on the first task of a
 * replica_set step the ring re-check. The engine checks them, in this order,
 * before the task's own, on every attempt (see `plannedPreconditionChecks`).
 */
export type PlannedPreconditions = PlannedCondition[];

/** The grace, in seconds, when a task entry sets no `abandon_grace_seconds`. */
export const DEFAULT_ABANDON_GRACE_SECONDS = 60;

/** A cluster-scoped step. */
export interface ClusterTaskStep {
  kind: 'cluster-task';
  /** Stable id, e.g. `s0`. */
  id: string;
  task: TaskSpec;
}

/** One group of nodes (a zone, rack, dc, or a single node) run under one concurrency limit. */
export interface PlanBatch {
  /** Stable id, e.g. `s0/b1`. */
  id: string;
  /** The group's key value (zone name, rack name, ...). */
  unit: string;
  /** Node ids in the order they start. */
  nodes: string[];
  /** Why these nodes form one batch, for `plan` output (replica_set batches). */
  reason?: string;
}

/** How one group of a replica_set step was split (see `replicaSetBatches`). */
export interface ReplicaSetGroupPlan {
  /** `all`, or the zone / rack / dc the group is. */
  unit: string;
  nodes: number;
  /** Pairs of the group's nodes that replicate a common token range. */
  conflictPairs: number;
  /** Number of sets (batches) the group runs as. */
  sets: number;
  /** Proven minimum number of sets: the largest clique found, or the fractional bound when higher. */
  lowerBound: number;
  /** The fractional colouring bound, when it is what proves `lowerBound` (see `colourConflicts`). */
  fractionalBound?: number;
  /** Whether `sets` is proven minimal. */
  optimal: boolean;
  /** The largest clique found: node ids that pairwise share a token range, so they run one at a time. */
  clique: string[];
  /** A token range that every clique node replicates, when one exists. */
  cliqueRange?: SharedRange;
}

/** What a `concurrency_unit: replica_set` step was planned from. */
export interface ReplicaSetPlan {
  /** The keyspaces whose token ranges were considered. */
  keyspaces: string[];
  /** `replica_set.within`: groups that also run one after another. Absent: the whole selection is one group. */
  within?: ReplicaSetWithin;
  /** `ringDigest` of those keyspaces at plan time; the re-check compares against it. */
  ringDigest: string;
  groups: ReplicaSetGroupPlan[];
}

/** A node workflow expanded over the targeted nodes. Node step ids are `${id}/${nodeId}/t${taskIndex}`. */
export interface NodeWorkflowStep {
  kind: 'node-workflow';
  id: string;
  name: string;
  concurrencyUnit: ConcurrencyUnit;
  concurrencyLimit: number;
  abortOnFirstFailure: boolean;
  /** The node tasks, run in order on each node. */
  tasks: TaskSpec[];
  /** Batches in the order they run; one batch at a time. */
  batches: PlanBatch[];
  /** Set when `concurrencyUnit` is `replica_set`. */
  replicaSet?: ReplicaSetPlan;
  /** Set with `order: role_aware`: the roles the order was computed from. */
  roles?: NodeRoles;
  /** Set when the workflow's `membership` is not the default `existing`: `new` (joiners and replacements) or `all`. */
  membership?: 'new' | 'all';
}

/**
 * What a {@link NodeRoleProvider} saw when the job was planned, for
 * `order: role_aware`: unhealthy targets go first, the leader last.
 */
export interface NodeRoles {
  /** Node ids that are not healthy now (e.g. not UN): restarting them first costs no extra availability. */
  unhealthy: string[];
  /** Node id of the group0 (topology) leader, if known: restarted last, so leadership moves once. */
  leader?: string;
  /** Where the facts came from, for `plan` output (e.g. `seen from n1`). */
  source?: string;
}

/**
 * Reads node roles at plan time for `order: role_aware`, keeping core
 * database-agnostic (for ScyllaDB: the node-status view and
 * `GET /raft/leader_host`).
 */
export interface NodeRoleProvider {
  roles(inventory: ClusterInventory): Promise<NodeRoles>;
}

export type PlanStep = ClusterTaskStep | NodeWorkflowStep;

/**
 * A deterministic plan: what the engine will do, in order. Stored with the
 * job (with the inventory snapshot) so a resume never depends on an
 * inventory that changed meanwhile.
 */
export interface JobPlan {
  formatVersion: 1;
  workflowName: string;
  cluster: string;
  inventory: ClusterInventory;
  targeting: Targeting;
  variables: Record<string, VariableValue>;
  steps: PlanStep[];
  /**
   * When nodes may start (workflow `maintenance_window`, or the planner's
   * `maintenanceWindow` option, which wins). The engine starts no node
   * outside it; at its end in-flight nodes finish and the job pauses until
   * `new MaintenanceWindow(w).nextOpen(now)`. Absent: always.
   */
  maintenanceWindow?: MaintenanceWindowSpec;
  /**
   * The canary (`--stop-after N`): once N nodes of the job's node workflows
   * have started and finished, no further node starts until an operator
   * approves (`scylla-cp approve <job>`, recorded as the step `canary`). Absent: no canary.
   */
  stopAfterNodes?: number;
  /**
   * Workflow `finally_tasks`: cluster steps (ids `f0`, `f1`, ...) to run, in
   * order, when the job ends in any way (succeeded, failed, cancelled),
   * recorded and resumed like any other step. Absent: none.
   */
  finallySteps?: ClusterTaskStep[];
}

/** The id of a node step. */
export function nodeStepId(workflowStepId: string, nodeId: string, taskIndex: number): string {
  return `${workflowStepId}/${nodeId}/t${taskIndex}`;
}
