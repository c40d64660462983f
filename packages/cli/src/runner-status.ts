import os from 'node:os';
import { describeRunner, isProcessAlive, parseLeaseHolder, type JobRecord, type JobStore } from '@scylla-cp/core';

/** Whether the process running a job is alive, and how that is known. */
export interface RunnerStatus {
  /** `alive`, `dead`, `none` (the job is not running), or `unknown` (another host, lease unknown). */
  state: 'alive' | 'dead' | 'none' | 'unknown';
  /** The lease holder (`host:pid:suffix`), when known. */
  holder?: string;
  /** For a person: `alive (pid 123 on this host)`, `dead (lease expired 40s ago)`, ... */
  text: string;
  /** The holder's pid is provably gone on this host (so its lease can be taken over at once). */
  provablyDead: boolean;
  /** When the lease expires, ms since epoch, if known. */
  leaseExpiresAt?: number;
}

/**
 * Tells whether the runner of a `running` job is alive, from the store's lease
 * through core's `describeRunner` (expired or no lease: dead; unexpired but its
 * pid is gone on this host: dead, provably, so `resume --force` may take over
 * at once). For a store without `getLease`, from the holder recorded in the
 * job's last `job.started`/`job.resumed` event.
 */
export async function runnerStatus(store: JobStore, job: JobRecord, now: number): Promise<RunnerStatus> {
  if (job.state !== 'running' && job.state !== 'pending') return { state: 'none', text: '-', provablyDead: false };
  if (typeof store.getLease !== 'function') {
    // A store that cannot tell its leases: the holder of the last start or resume, and its pid if on this host.
    let holder: string | undefined;
    for (const e of await store.listEvents(job.id)) if ((e.type === 'job.started' || e.type === 'job.resumed') && typeof e.data.holder === 'string') holder = e.data.holder;
    const parts = holder ? parseLeaseHolder(holder) : undefined;
    if (!holder || !parts) return { state: 'unknown', ...(holder ? { holder } : {}), text: 'unknown (this store does not report leases)', provablyDead: false };
    if (parts.host !== os.hostname()) return { state: 'unknown', holder, text: `unknown (runs on ${parts.host})`, provablyDead: false };
    return isProcessAlive(parts.pid)
      ? { state: 'alive', holder, text: `alive (pid ${parts.pid} on this host)`, provablyDead: false }
      : { state: 'dead', holder, text: `dead (pid ${parts.pid} is gone on this host)`, provablyDead: true };
  }
  const d = describeRunner(await store.getLease(job.id), now);
  const expires = d.expiresAt !== undefined ? { leaseExpiresAt: d.expiresAt } : {};
  const holder = d.holder !== undefined ? { holder: d.holder } : {};
  switch (d.state) {
    case 'none':
      return { state: 'dead', text: 'dead (no runner holds the lease)', provablyDead: false };
    case 'expired':
      return { state: 'dead', ...holder, ...expires, text: `dead (lease expired ${Math.round((now - d.expiresAt!) / 1000)}s ago)`, provablyDead: false };
    case 'dead':
      return { state: 'dead', ...holder, ...expires, text: `dead (pid ${d.pid} is gone on this host; resume --force takes over at once)`, provablyDead: true };
    default:
      return d.host === os.hostname()
        ? { state: 'alive', ...holder, ...expires, text: `alive (pid ${d.pid} on this host)`, provablyDead: false }
        : { state: 'alive', ...holder, ...expires, text: `alive (${d.reason})`, provablyDead: false };
  }
}
