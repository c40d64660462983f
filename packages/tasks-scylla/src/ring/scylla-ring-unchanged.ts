import { ringDigest, UnrecoverableError, type ClusterCondition, type ClusterConditionContext, type ConditionResult } from '@scylla-cp/core';
import { scyllaApiFor } from '../services/scylla-api-service.js';
import { readScyllaRing } from './scylla-ring.js';

/** Parameters of `!scylla-ring-unchanged`. */
export interface ScyllaRingUnchangedOptions {
  /** The keyspaces the plan was made for. */
  keyspaces: string[];
  /** Their `ringDigest` at plan time (sha256 hex). */
  digest: string;
}

/**
 * `scylla-ring-unchanged` (cluster): the replica placement of `keyspaces`
 * is still the one the plan was made from. Put by the planner before each
 * node of a `concurrency_unit: replica_set` step. A ring that changed (a node
 * joined, left or moved tokens) fails at once with an `UnrecoverableError`
 * (code `RING_CHANGED`): the batches may now put two replicas of one range
 * down together, so the job halts and must be planned again. A ring that
 * cannot be read is a failed poll (retried until the timeout).
 */
export class ScyllaRingUnchanged implements ClusterCondition {
  readonly scope = 'cluster' as const;
  constructor(private readonly options: ScyllaRingUnchangedOptions) {}
  name(): string {
    return 'scylla-ring-unchanged';
  }
  async check(ctx: ClusterConditionContext): Promise<ConditionResult> {
    const ring = await readScyllaRing(ctx.inventory, (node) => scyllaApiFor(ctx, node), this.options.keyspaces, ctx.signal);
    const now = ringDigest(ring, this.options.keyspaces);
    if (now !== this.options.digest) {
      throw new UnrecoverableError(
        `the token ring of ${this.options.keyspaces.join(', ')} changed since the job was planned (digest ${this.options.digest.slice(0, 12)} then, ${now.slice(0, 12)} now): ` +
          'its replica sets may no longer be safe to run together; cancel this job and plan it again',
        { code: 'RING_CHANGED', details: { keyspaces: this.options.keyspaces, planned: this.options.digest, now } },
      );
    }
    return { ok: true, detail: `ring of ${this.options.keyspaces.join(', ')} unchanged (${now.slice(0, 12)})` };
  }
}
