import type { ProcessLife } from './process-life.js';
import { isLocalStrategy } from './replication.js';
import type { SimClusterState } from './sim-cluster-state.js';
import { SimConnectionError, SimHttpError } from './sim-errors.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import type { SimTimeline } from './sim-timeline.js';

/** A repair's state as `repair_async` reports it. */
export type RepairState = 'RUNNING' | 'SUCCESSFUL' | 'FAILED';

/**
 * Repairs of each node's process: a repair takes `repairMs` and fails when a replica peer is down
 * at its start (then after a fifth of the time) or at its end, under a `repair-fails` fault, or
 * when terminated. Ids count 1, 2, ... per process.
 */
export class RepairService {
  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly life: ProcessLife,
  ) {}

  /** `POST /storage_service/repair_async/{ks}`: returns the repair id (1, 2, ... per process). */
  start(node: SimNode, keyspace: string, actor: SimActor): number {
    const { cluster, time } = this;
    time.sync();
    const ks = cluster.keyspace(keyspace);
    if (!ks) throw new SimHttpError(400, `Keyspace ${keyspace} Does not exist`);
    const id = ++node.repairSeq;
    const now = cluster.clock.now();
    const peers = isLocalStrategy(ks) ? [node] : cluster.replicaPeers(node, ks);
    const downAtStart = peers.filter((p) => !cluster.seesUp(node, p)).map((p) => p.address);
    const faulted = cluster.faults.repairFails(node.id);
    const failEarly = downAtStart.length > 0;
    const endAt = now + (failEarly ? cluster.timing.repairMs * 0.2 : cluster.timing.repairMs);
    node.repairs.set(id, { id, keyspace, startAtMs: now, endAtMs: endAt, status: 'RUNNING', outcome: 'SUCCESSFUL' });
    cluster.log(node, actor, 'repair-start', { id, keyspace });
    this.life.maybeDie(node, 'repair', endAt - now);
    time.schedule(node, endAt, () => {
      const r = node.repairs.get(id);
      if (!r) return;
      const downNow = peers.filter((p) => !cluster.seesUp(node, p)).map((p) => p.address);
      const failed = faulted || failEarly || downNow.length > 0;
      r.status = failed ? 'FAILED' : 'SUCCESSFUL';
      r.outcome = r.status;
      cluster.log(node, 'sim', 'repair-done', {
        id,
        keyspace,
        status: r.status,
        ...(failed ? { reason: faulted ? 'simulated fault' : `replicas down: ${[...new Set([...downAtStart, ...downNow])].join(',')}` } : {}),
      });
    });
    time.changed();
    return id;
  }

  /** `GET /storage_service/repair_async/{ks}?id=`: `RUNNING`, `SUCCESSFUL` or `FAILED`; 400 for an unknown id. */
  status(node: SimNode, id: number): RepairState {
    this.time.sync();
    if (!Number.isInteger(id) || id < 1 || id > node.repairSeq) throw new SimHttpError(400, `unknown repair id ${id}`);
    return node.repairs.get(id)?.status ?? 'SUCCESSFUL';
  }

  /** Waits for a repair to finish (`repair_status` long-poll); `timeoutMs` undefined waits forever. */
  async untilDone(node: SimNode, id: number, timeoutMs: number | undefined): Promise<RepairState> {
    const boot = node.boot;
    const deadline = timeoutMs === undefined ? Infinity : this.cluster.clock.now() + timeoutMs;
    const first = this.status(node, id);
    if (first !== 'RUNNING') return first;
    const r = node.repairs.get(id)!;
    await this.time.waitFor(() => node.boot !== boot, Math.min(deadline, r.endAtMs));
    if (node.boot !== boot) throw new SimConnectionError('ECONNRESET', `node ${node.id} died`);
    return this.status(node, id);
  }

  /** Ids of running repairs. */
  active(node: SimNode): number[] {
    this.time.sync();
    return [...node.repairs.values()].filter((r) => r.status === 'RUNNING').map((r) => r.id);
  }

  /** `POST /storage_service/force_terminate_repair`: every running repair fails. */
  terminate(node: SimNode, actor: SimActor): void {
    this.time.sync();
    for (const r of node.repairs.values()) {
      if (r.status === 'RUNNING') {
        r.status = 'FAILED';
        r.outcome = 'FAILED';
        r.endAtMs = this.cluster.clock.now();
        this.cluster.log(node, actor, 'repair-done', { id: r.id, keyspace: r.keyspace, status: 'FAILED', reason: 'terminated' });
      }
    }
  }
}
