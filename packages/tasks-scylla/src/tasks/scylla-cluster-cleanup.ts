import { RecoverableError, UnrecoverableError, type ClusterExecutionContext, type ExecuteClusterTask } from '@scylla-cp/core';
import { z } from 'zod';
import { decodeLong } from '../client/decoders.js';
import { scyllaApiStatus } from '../client/scylla-api-errors.js';
import type { ScyllaClientRoute } from '../client/scylla-client-routes.js';
import { scyllaApiFor } from '../services/scylla-api-service.js';

/**
 * `POST /storage_service/cleanup_all/?global=true`: ScyllaDB's cluster-wide vnodes cleanup
 * through the topology coordinator (`nodetool cluster cleanup`); blocks until it ends and
 * answers the `long` 0. `global=false` cleans only the node asked, then marks it clean.
 */
export const CLEANUP_ALL_ROUTE: ScyllaClientRoute<number> = Object.freeze<ScyllaClientRoute<number>>({
  method: 'POST',
  path: '/storage_service/cleanup_all/',
  responseType: 'long',
  decode: decodeLong,
  long: true,
});

/** Parameters of `!scylla-cluster-cleanup`. */
export const clusterCleanupParams = z.strictObject({
  /** How long to wait for the cleanup of the whole cluster to end, seconds. @default 3600 */
  timeout_seconds: z.number().positive().max(7 * 24 * 3600).default(3600),
});

/** Validated parameters of `!scylla-cluster-cleanup`. */
export type ClusterCleanupParams = z.output<typeof clusterCleanupParams>;

/**
 * `!scylla-cluster-cleanup {timeout_seconds?}` (cluster task): ScyllaDB's cluster-wide cleanup
 * (`POST /storage_service/cleanup_all/?global=true`, `nodetool cluster cleanup`). The topology
 * coordinator cleans every node that lost ranges since its last cleanup (after a bootstrap:
 * the nodes that were already members), one global request for the whole cluster, queued
 * behind any topology operation in progress, so it needs no `no-topology-change` guard. The
 * call blocks until the cleanup ends; the task returns when the node answers the `long` 0.
 *
 * Nodes of the inventory are asked in order until one answers; a node that cannot be reached
 * is skipped. Idempotent: a second run finds no node needing cleanup and ends at once.
 *
 * Errors: the coordinator's refusal or failure (a node that needs cleanup is down, a node died
 * during its cleanup; a 500 with the coordinator's reason), timeouts and no node reachable are
 * recoverable (bring the node back, or remove it, and resume); a 4xx (e.g. a version without
 * `cleanup_all`) is unrecoverable. Use `!scylla-cleanup` (a node task, per keyspace) on versions
 * without topology over Raft.
 */
export class ScyllaClusterCleanup implements ExecuteClusterTask {
  constructor(readonly params: ClusterCleanupParams) {}
  name(): string {
    return 'scylla-cluster-cleanup';
  }
  preconditions() {
    return [];
  }
  async execute(ctx: ClusterExecutionContext): Promise<{ via: string }> {
    const failures: string[] = [];
    let last: unknown;
    for (const node of ctx.inventory.nodes) {
      try {
        ctx.logger.info(`cluster-wide cleanup through ${node.id} (POST /storage_service/cleanup_all/?global=true)`);
        const r = await scyllaApiFor(ctx, node).call(CLEANUP_ALL_ROUTE, { query: { global: 'true' } }, { signal: ctx.signal, timeoutSeconds: this.params.timeout_seconds });
        if (r !== 0) throw new UnrecoverableError(`${node.id}: cleanup_all answered ${r}, expected 0`, { code: 'CLUSTER_CLEANUP_UNEXPECTED' });
        ctx.logger.info(`cluster-wide cleanup done (through ${node.id})`);
        return { via: node.id };
      } catch (e) {
        if (ctx.signal.aborted || !(e instanceof RecoverableError)) throw e;
        last = e;
        failures.push(`${node.id}: ${e.message}`);
        // the coordinator answered (refused or failed the cleanup): asking another node resubmits the same verdict
        if ((scyllaApiStatus(e) ?? 0) >= 500) break;
      }
    }
    throw new RecoverableError(`cluster-wide cleanup did not complete: ${failures.join('; ') || 'the inventory has no nodes'}`, {
      code: 'CLUSTER_CLEANUP_FAILED',
      cause: last,
    });
  }
}
