import type { Clock } from '../clock/clock.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import type { Logger } from './logger.js';
import type { Services } from './services.js';

/** A resolved variable value. */
export type VariableValue = string | number | boolean | string[];

/** What a task knows of the job it runs in. */
export interface JobInfo {
  /** The job's id. */
  id: string;
  /** Who started the job (CLI `--operator`, default the OS user). */
  operator: string;
  /** The workflow's variables, resolved and typed. */
  variables: Readonly<Record<string, VariableValue>>;
  /** The workflow's name. */
  workflowName: string;
  /**
   * Ids of the nodes this job has taken, or is taking, down: from the moment
   * a node's first disruptive task passed its preconditions until a task that
   * restores it succeeded (see `NodeTaskAvailability`). A live view: read it at
   * check time. Conditions that reason about liveness count these nodes as
   * down whatever the cluster's own view says (peers may not have noticed
   * yet). Absent outside the engine (e.g. a hand-built context): none.
   */
  disruptedNodes?: ReadonlySet<string>;
}

/** Fields common to every execution and condition context. */
export interface BaseContext {
  /** The whole cluster inventory. */
  readonly inventory: ClusterInventory;
  readonly job: JobInfo;
  readonly logger: Logger;
  /** The only source of time: use it for every wait. */
  readonly clock: Clock;
  /**
   * Aborted when the operator aborts the job (or the step's `timeout_seconds`
   * elapses). Long-running work must pass it on or check it.
   */
  readonly signal: AbortSignal;
  readonly services: Services;
  /**
   * Services bound to another node's scope, for cluster-scoped code that acts
   * on every node (e.g. a node shell per node: `ctx.nodeServices(n).get(NodeShellService)`).
   * Set by the engine on every context; absent on hand-built ones.
   */
  readonly nodeServices?: (node: InventoryNode) => Services;
}

/** Context of a cluster-scoped task or condition. */
export interface ClusterExecutionContext extends BaseContext {
  /** The attempt number of this execution, 1-based. */
  readonly attempt: number;
  /** The plan step id being executed (stable across resumes). */
  readonly stepId: string;
}

/** Context of a node-scoped task or condition. */
export interface NodeExecutionContext extends ClusterExecutionContext {
  /** The node operated on. */
  readonly node: InventoryNode;
}

/** Context a node condition is checked with. */
export type NodeConditionContext = NodeExecutionContext;
/** Context a cluster condition is checked with. */
export type ClusterConditionContext = ClusterExecutionContext;
