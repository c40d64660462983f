import type { ExecuteClusterTask, ClusterExecutionContext } from '@scylla-cp/core';
import { scyllaApiFor } from '@scylla-cp/tasks-scylla';
import { z } from 'zod';

/** Parameters of `!snapshot-everywhere`. */
export const snapshotEverywhereParams = z
  .object({
    /** The snapshot tag (ScyllaDB's `nodetool snapshot -t`). */
    tag: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"'),
  })
  .strict();

/**
 * `!snapshot-everywhere {tag}`: a cluster task that takes a snapshot named `tag` on every node of
 * the inventory, one node after another (REST `POST /storage_service/snapshots`).
 *
 * Idempotent: it lists each node's snapshots first and skips the nodes that already hold `tag`,
 * so a resumed job does not fail on "snapshot already exists". REST errors keep the REST client's
 * classification (network and 5xx: recoverable, so the step's `retries` apply).
 */
export class SnapshotEverywhereTask implements ExecuteClusterTask {
  constructor(private readonly params: z.output<typeof snapshotEverywhereParams>) {}

  name(): string {
    return 'snapshot-everywhere';
  }

  preconditions() {
    return [];
  }

  async execute(ctx: ClusterExecutionContext): Promise<{ taken: string[]; alreadyThere: string[] }> {
    const taken: string[] = [];
    const alreadyThere: string[] = [];
    for (const node of ctx.inventory.nodes) {
      const api = scyllaApiFor(ctx, node);
      const snapshots = await api.snapshots({ signal: ctx.signal });
      if (snapshots.some((s) => s.tag === this.params.tag)) {
        alreadyThere.push(node.id);
        continue;
      }
      await api.takeSnapshot(this.params.tag, undefined, {}, { signal: ctx.signal });
      ctx.logger.info(`snapshot ${this.params.tag} taken on ${node.id}`);
      taken.push(node.id);
    }
    return { taken, alreadyThere };
  }
}
