import type { Clock } from '../clock/clock.js';
import type { ClusterInventory, InventoryNode } from '../inventory/inventory.js';
import type { Logger } from './logger.js';
import type { Services } from './services.js';

export type { JobInfo, VariableValue } from './job-info.js';
import type { JobInfo } from './job-info.js';

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
