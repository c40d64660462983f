import type { ClusterExecutionContext, JobInfo, NodeExecutionContext } from '../api/context.js';
import type { Clock } from '../clock/clock.js';
import { UnrecoverableError } from '../errors/task-errors.js';
import type { InventoryNode } from '../inventory/inventory.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { ConditionPollEvent, LogLevel } from './engine-events.js';
import type { ServiceBinder } from './job-run-deps.js';
import { StepLogger } from './step-logger.js';
import { ATTEMPT_WORK_TRACKER, CONDITION_POLL_REPORTER, type AttemptWorkTracker, type ConditionPollInfo } from './wait-for-condition.js';

/** What a {@link ContextFactory} builds contexts from. @internal */
export interface ContextSources {
  jobId: string;
  plan: JobPlan;
  job: JobInfo;
  clock: Clock;
  services: ServiceBinder;
  emitPoll(event: ConditionPollEvent): void;
  log(level: LogLevel, message: string, fields: Record<string, unknown> | undefined, stepId: string, nodeId: string | undefined): void;
}

/**
 * Builds the execution context of one attempt: the job's inventory and info
 * (with its live `disruptedNodes`), a step logger, the clock, the attempt's
 * signal, services bound to that scope, the poll reporter and the attempt's
 * work tracker. @internal
 */
export class ContextFactory {
  readonly #nodes = new Map<string, InventoryNode>();
  constructor(private readonly s: ContextSources) {
    for (const n of s.plan.inventory.nodes) this.#nodes.set(n.id, n);
  }

  build(stepId: string, nodeId: string | undefined, attempt: number, signal: AbortSignal, task: string, track: AttemptWorkTracker): NodeExecutionContext | ClusterExecutionContext {
    const s = this.s;
    const node = nodeId !== undefined ? this.#nodes.get(nodeId) : undefined;
    if (nodeId !== undefined && node === undefined) {
      throw new UnrecoverableError(`node ${nodeId} is not in the job's stored inventory`, { code: 'UNKNOWN_NODE', details: { nodeId } });
    }
    const { clock, job } = s;
    const inventory = s.plan.inventory;
    const services = s.services.bind(node ? { inventory, node, job, clock, signal } : { inventory, job, clock, signal });
    const jobId = s.jobId;
    const reporter = (info: ConditionPollInfo): void => {
      const ev: ConditionPollEvent = { ...info, jobId, stepId, task };
      if (nodeId !== undefined) ev.nodeId = nodeId;
      s.emitPoll(ev);
    };
    const ctx = {
      inventory,
      job,
      logger: new StepLogger(s.log, stepId, nodeId),
      clock,
      signal,
      services,
      attempt,
      stepId,
      nodeServices: (other: InventoryNode) => s.services.bind({ inventory, node: other, job, clock, signal }),
      [CONDITION_POLL_REPORTER]: reporter,
      [ATTEMPT_WORK_TRACKER]: track,
    } as ClusterExecutionContext & { node?: InventoryNode };
    if (node) ctx.node = node;
    return ctx;
  }
}
