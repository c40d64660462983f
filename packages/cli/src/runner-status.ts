import os from 'node:os';
import type { JobRecord, JobStore, Lease } from '@scylla-cp/core';

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

/** A store that can tell the current lease of a job (optional in the `JobStore` interface). */
type LeaseReader = { getLease?(jobId: string): Promise<Lease | undefined> };

/** `host:pid[:suffix]` → host and pid. */
export function parseHolder(holder: string): { host: string; pid?: number } {
  const parts = holder.split(':');
  const pid = Number(parts[1]);
  return { host: parts[0] ?? '', ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}) };
}

/** Whether a process with `pid` exists on this host (signal 0; EPERM means it exists). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tells whether the runner of a `running` job is alive: from the store's lease
 * when it can read one (expired: dead), else from the holder recorded in the
 * job's last `job.started`/`job.resumed` event; a holder on this host whose
 * pid is gone is dead, provably.
 */
export async function runnerStatus(store: JobStore, job: JobRecord, now: number): Promise<RunnerStatus> {
  if (job.state !== 'running' && job.state !== 'pending') return { state: 'none', text: '-', provablyDead: false };
  let lease: Lease | undefined;
  const reader = store as JobStore & LeaseReader;
  if (typeof reader.getLease === 'function') lease = await reader.getLease(job.id);
  let holder = lease?.holder;
  if (holder === undefined) {
    const events = await store.listEvents(job.id);
    for (const e of events) if ((e.type === 'job.started' || e.type === 'job.resumed') && typeof e.data.holder === 'string') holder = e.data.holder;
  }
  if (holder === undefined) return { state: 'unknown', text: 'unknown (no runner recorded)', provablyDead: false };
  const { host, pid } = parseHolder(holder);
  const here = host === os.hostname();
  if (here && pid !== undefined && !pidAlive(pid)) {
    return { state: 'dead', holder, text: `dead (pid ${pid} is gone on this host)`, provablyDead: true, ...(lease ? { leaseExpiresAt: lease.expiresAt } : {}) };
  }
  if (lease && lease.expiresAt <= now) {
    return { state: 'dead', holder, text: `dead (lease expired ${Math.round((now - lease.expiresAt) / 1000)}s ago)`, provablyDead: false, leaseExpiresAt: lease.expiresAt };
  }
  if (!lease && (job.state === 'running' || job.state === 'pending') && typeof reader.getLease === 'function') {
    return { state: 'dead', holder, text: 'dead (no lease held)', provablyDead: false };
  }
  if (here) return { state: 'alive', holder, text: `alive (pid ${pid} on this host)`, provablyDead: false, ...(lease ? { leaseExpiresAt: lease.expiresAt } : {}) };
  return lease
    ? { state: 'alive', holder, text: `alive (on ${host}, lease until ${new Date(lease.expiresAt).toISOString()})`, provablyDead: false, leaseExpiresAt: lease.expiresAt }
    : { state: 'unknown', holder, text: `unknown (runs on ${host})`, provablyDead: false };
}
