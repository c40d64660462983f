import { UnrecoverableError, type ConditionCheck, type ExecuteNodeTask, type NodeExecutionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';

/** Parameters of {@link ScyllaSnapshot}. */
export interface ScyllaSnapshotOptions {
  /** Snapshot name. */
  tag: string;
  /** Keyspaces to snapshot. @default every keyspace (`/storage_service/keyspaces?type=all`) */
  keyspaces?: string[];
  /** Skip the flush before the snapshot (`sf=true`). @default false */
  skipFlush?: boolean;
}

const TAG = /^[A-Za-z0-9._-]+$/;

/**
 * `scylla-snapshot {tag, keyspaces?, skip_flush?}`: takes a snapshot named `tag`
 * (`POST /storage_service/snapshots?tag=&kn=`).
 *
 * No preconditions. Idempotency: lists `/storage_service/snapshots` first and snapshots only
 * the requested keyspaces that have no snapshot with this tag yet (a keyspace without tables
 * never shows, and is snapshotted again harmlessly); when all have one, it does nothing. A
 * snapshot interrupted half-way is completed, never duplicated.
 *
 * Errors: an invalid tag (letters, digits, `._-` only) → `UnrecoverableError` code
 * `INVALID_SNAPSHOT_TAG`; 4xx (unknown keyspace) → unrecoverable; unreachable, timeouts,
 * 5xx → recoverable.
 */
export class ScyllaSnapshot implements ExecuteNodeTask {
  constructor(readonly options: ScyllaSnapshotOptions) {
    if (!TAG.test(options.tag)) {
      throw new UnrecoverableError(`invalid snapshot tag ${JSON.stringify(options.tag)}: use letters, digits, '.', '_' and '-'`, {
        code: 'INVALID_SNAPSHOT_TAG',
      });
    }
  }
  name(): string {
    return 'scylla-snapshot';
  }
  preconditions(): ConditionCheck[] {
    return [];
  }
  async execute(ctx: NodeExecutionContext): Promise<{ tag: string; snapshotted: string[] }> {
    const api = scyllaApi(ctx);
    const o = { signal: ctx.signal };
    const wanted = this.options.keyspaces ?? (await api.keyspaces({ type: 'all' }, o));
    const existing = (await api.snapshots(o)).filter((s) => s.tag === this.options.tag);
    const done = new Set(existing.flatMap((s) => s.tables.map((t) => t.ks)));
    const missing = [...new Set(wanted)].filter((ks) => !done.has(ks)).sort();
    if (missing.length === 0) return { tag: this.options.tag, snapshotted: [] };
    await api.takeSnapshot(this.options.tag, missing, { skipFlush: this.options.skipFlush }, o);
    return { tag: this.options.tag, snapshotted: missing };
  }
}
