import type { ClusterCondition, ConditionResult, NodeCondition, NodeConditionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';

/**
 * A guard condition that holds at once when the node is already in one of `modes` (its task is
 * then done, so there is nothing left to guard), and otherwise checks `inner`. Used for the
 * preconditions of tasks whose resumes find the work done: `scylla-drain`'s `cluster-normal`
 * would never hold again once this node is drained. If the node does not answer, `inner`
 * decides. Its name is `inner`'s.
 */
export class UnlessNodeMode implements NodeCondition {
  readonly scope = 'node' as const;
  constructor(
    readonly inner: NodeCondition | ClusterCondition,
    readonly modes: readonly string[],
  ) {}
  name(): string {
    return this.inner.name();
  }
  async check(ctx: NodeConditionContext): Promise<ConditionResult> {
    let mode: string | undefined;
    try {
      mode = await scyllaApi(ctx).operationMode({ signal: ctx.signal });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      mode = undefined;
    }
    if (mode !== undefined && this.modes.includes(mode)) {
      return { ok: true, detail: `${ctx.node.id} is already ${mode}: the task's work is done, nothing to guard` };
    }
    return (this.inner as NodeCondition).check(ctx);
  }
}
