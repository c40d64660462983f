import { ConditionCheck, RecoverableError, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import type { RepairAsyncOptions, ScyllaApiClient } from '../client/scylla-api-client.js';
import { ScyllaApiError } from '../client/scylla-api-errors.js';
import { ClusterNormal } from '../conditions/cluster-normal.js';
import { scyllaApi } from '../services/scylla-api-service.js';

/** Parameters of {@link ScyllaRepair}. */
export interface ScyllaRepairOptions extends Omit<RepairAsyncOptions, 'columnFamilies'> {
  keyspace: string;
  /** Tables of `keyspace`. @default all */
  tables?: string[];
  /** Seconds between status polls. @default 10 */
  pollIntervalSeconds?: number;
}

/** How the task came to follow a repair. */
export type RepairOrigin = 'started' | 'attached';

/**
 * `scylla-repair {keyspace, ...}`: repairs a keyspace from this node with an async repair
 * (`POST /storage_service/repair_async/{keyspace}`), then polls
 * `GET /storage_service/repair_async/{keyspace}?id=` on the job clock until it is not RUNNING.
 *
 * Preconditions: `cluster-normal` (a repair with a replica down fails).
 *
 * Idempotency: repairing twice leaves the same data as once, but costs a second repair, so on
 * every attempt the task first looks for the repair already running for this keyspace and
 * **attaches** to it instead of starting another: the ids in `/storage_service/active_repair/`
 * are matched with the task manager's repair tasks of the keyspace
 * (`/task_manager/list_module_tasks/repair?keyspace=`, field `sequence_number`). If the task
 * manager cannot say (an older Scylla) and repairs are active, it waits until none is active,
 * then starts its own: never two repairs of unknown ownership side by side.
 *
 * Errors: status FAILED → `RecoverableError` code `REPAIR_FAILED` (a repair can be rerun
 * safely; the step's retry policy decides); `400 unknown repair id` while polling (the node
 * restarted and forgot it) → `RecoverableError` code `REPAIR_LOST` (the next attempt starts a
 * new one); 403 for a tablets keyspace and other 4xx → unrecoverable; unreachable, timeouts,
 * 5xx → recoverable (the next attempt attaches).
 */
export class ScyllaRepair implements ExecuteNodeTask {
  constructor(readonly options: ScyllaRepairOptions) {}
  name(): string {
    return 'scylla-repair';
  }
  preconditions(): ConditionCheck[] {
    return [ConditionCheck.withDefaults(new ClusterNormal())];
  }

  async execute(ctx: NodeExecutionContext): Promise<{ id: number; origin: RepairOrigin; status: 'SUCCESSFUL' }> {
    const api = scyllaApi(ctx);
    const { keyspace, tables, pollIntervalSeconds, ...rest } = this.options;
    const pollMs = (pollIntervalSeconds ?? 10) * 1000;
    let id = await this.#findRunning(ctx, api, pollMs);
    let origin: RepairOrigin = 'attached';
    if (id === undefined) {
      id = await api.repairAsync(keyspace, { ...rest, columnFamilies: tables }, { signal: ctx.signal });
      origin = 'started';
      ctx.logger.info(`${ctx.node.id}: started repair ${id} of ${keyspace}`);
    } else {
      ctx.logger.info(`${ctx.node.id}: attached to repair ${id} of ${keyspace}, already running`);
    }
    for (;;) {
      let status: string;
      try {
        status = await api.repairStatus(keyspace, id, { signal: ctx.signal });
      } catch (e) {
        if (e instanceof ScyllaApiError && !e.retryable && e.status === 400 && /unknown repair id/i.test(e.scyllaMessage ?? '')) {
          throw new RecoverableError(`${ctx.node.id}: repair ${id} of ${keyspace} is unknown to the node (did it restart?); will start a new one`, {
            code: 'REPAIR_LOST',
            cause: e,
            details: { node: ctx.node.id, keyspace, id },
          });
        }
        throw e;
      }
      if (status === 'SUCCESSFUL') return { id, origin, status };
      if (status === 'FAILED') {
        throw new RecoverableError(`${ctx.node.id}: repair ${id} of ${keyspace} FAILED; see the node's log (repair id ${id})`, {
          code: 'REPAIR_FAILED',
          details: { node: ctx.node.id, keyspace, id },
        });
      }
      await ctx.clock.sleep(pollMs, ctx.signal);
    }
  }

  /** The id of the running repair of this keyspace, or undefined (after waiting out unattributable ones). */
  async #findRunning(ctx: NodeExecutionContext, api: ScyllaApiClient, pollMs: number): Promise<number | undefined> {
    const { keyspace } = this.options;
    const o = { signal: ctx.signal };
    for (;;) {
      const active = await api.activeRepairs(o);
      if (active.length === 0) return undefined;
      let tasks;
      try {
        tasks = await api.moduleTasks('repair', { keyspace }, o);
      } catch (e) {
        const answered = e instanceof ScyllaApiError && e.status !== undefined;
        if (!answered) throw e;
        ctx.logger.warn(
          `${ctx.node.id}: cannot tell which keyspace active repairs ${active.join(', ')} belong to (${(e as Error).message}); waiting for them to finish before starting a repair of ${keyspace}`,
        );
        await ctx.clock.sleep(pollMs, ctx.signal);
        continue;
      }
      const mine = tasks
        .filter((t) => t.keyspace === keyspace && (t.state === 'running' || t.state === 'created') && active.includes(t.sequenceNumber))
        .map((t) => t.sequenceNumber);
      return mine.length > 0 ? Math.max(...mine) : undefined;
    }
  }
}
