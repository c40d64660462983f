import type { MaintenanceWindowSpec } from '../util/maintenance-window.js';
import type { PluginRegistry } from '../plugin/plugin-registry.js';
import type { NodeRoles } from './job-plan.js';
import type { RingProvider, TokenRing } from './token-ring.js';

/** Options of {@link plan}. */
export interface PlanOptions {
  /** The registry the workflow was parsed with; parameters are validated again after substitution. */
  registry: PluginRegistry;
  /**
   * The token ring, needed by `concurrency_unit: replica_set` (read it with a
   * {@link RingProvider}, or let {@link planJob} do it). Keyspaces marked
   * `local` are left out of the default keyspace list.
   */
  ring?: TokenRing;
  /** Supplies the ring re-check condition put before each node of a replica_set step (its `recheckCondition`). */
  ringProvider?: Pick<RingProvider, 'recheckCondition'>;
  /** Step budget of the exact replica-set searches. @default 200000 */
  replicaSetSearchBudget?: number;
  /** Node roles for `order: role_aware` (read them with a {@link NodeRoleProvider}, or let {@link planJob} do it). */
  roles?: NodeRoles;
  /** A maintenance window that replaces the workflow's (the CLI's `--window` / `--timezone`). Validated. */
  maintenanceWindow?: MaintenanceWindowSpec;
}
