import type { ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { scyllaApi } from '@scylla-cp/tasks-scylla';
import { z } from 'zod';

/** Parameters of `!scylla-uptime-at-least`. */
export const scyllaUptimeAtLeastParams = z
  .object({
    /** Minimum Scylla uptime, seconds. */
    seconds: z.number().nonnegative(),
  })
  .strict();

/**
 * `!scylla-uptime-at-least {seconds}`: the node's Scylla process has been up
 * at least this long (REST `GET /system/uptime_ms`). Useful after a restart,
 * to let caches warm before the next node goes down. A node whose API does
 * not answer fails the poll recoverably (the REST client's errors are).
 */
export class ScyllaUptimeAtLeast implements NodeCondition {
  readonly scope = 'node' as const;

  constructor(private readonly params: z.output<typeof scyllaUptimeAtLeastParams>) {}

  name(): string {
    return 'scylla-uptime-at-least';
  }

  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    const uptimeMs = await scyllaApi(ctx).uptimeMs({ signal: ctx.signal });
    const ok = uptimeMs >= this.params.seconds * 1000;
    return { ok, detail: `uptime ${(uptimeMs / 1000).toFixed(1)}s ${ok ? '>=' : '<'} ${this.params.seconds}s` };
  }
}
