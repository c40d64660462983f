import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Lease } from '../store/job-store.js';

/**
 * A lease holder name unique to this engine: `<hostname>:<pid>:<16 hex digits>`
 * from the OS's cryptographic random source, so two engines built in the same
 * millisecond in one process never share one.
 */
export function leaseHolderName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
}

/** The parts of a holder written by {@link leaseHolderName}. */
export interface LeaseHolderParts {
  host: string;
  pid: number;
  nonce: string;
}

/**
 * Splits `<host>:<pid>:<nonce>` (the host may itself hold colons); `undefined`
 * for any other holder string (e.g. one given by `EngineOptions.holder`).
 */
export function parseLeaseHolder(holder: string): LeaseHolderParts | undefined {
  const m = /^(.+):(\d+):([0-9A-Za-z_-]+)$/.exec(holder);
  if (!m) return undefined;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { host: m[1]!, pid, nonce: m[3]! };
}

/** Whether process `pid` exists on this host (`kill(pid, 0)`: ESRCH means it does not). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What is known of the runner of a job, from its lease. */
export interface RunnerStatus {
  /**
   * `none`: no lease held; `live`: the lease is unexpired and its holder is not
   * provably dead; `expired`: the lease expired (the runner stopped renewing);
   * `dead`: the lease is unexpired but its holder ran on this host and its
   * process is gone (a resume may take over at once with `force`).
   */
  state: 'none' | 'live' | 'expired' | 'dead';
  holder?: string;
  host?: string;
  pid?: number;
  /** Lease expiry, ms since epoch. */
  expiresAt?: number;
  /** ms until the lease expires (0 when expired). */
  remainingMs?: number;
  /** One line for people: why this state. */
  reason: string;
}

/** How {@link describeRunner} probes this host. */
export interface RunnerProbe {
  /** This host's name. @default os.hostname() */
  hostname?: string;
  /** @default {@link isProcessAlive} */
  isAlive?: (pid: number) => boolean;
}

/**
 * Tells whether a job's runner is live, gone (lease expired) or provably dead
 * (same host, its pid is gone) at `nowMs`. `jobs` and `status` show it;
 * `Engine.resume(id, { force: true })` takes over a `dead` runner at once.
 */
export function describeRunner(lease: Lease | undefined, nowMs: number, probe: RunnerProbe = {}): RunnerStatus {
  if (!lease) return { state: 'none', reason: 'no runner holds the lease' };
  const parts = parseLeaseHolder(lease.holder);
  const base: RunnerStatus = {
    state: 'live',
    holder: lease.holder,
    expiresAt: lease.expiresAt,
    remainingMs: Math.max(0, lease.expiresAt - nowMs),
    reason: '',
    ...(parts ? { host: parts.host, pid: parts.pid } : {}),
  };
  if (lease.expiresAt <= nowMs) return { ...base, state: 'expired', reason: `the lease of ${lease.holder} expired ${Math.round((nowMs - lease.expiresAt) / 1000)} s ago: the runner stopped` };
  const here = probe.hostname ?? hostname();
  const alive = probe.isAlive ?? isProcessAlive;
  const secs = Math.ceil((lease.expiresAt - nowMs) / 1000);
  if (parts && parts.host === here && !alive(parts.pid)) {
    return { ...base, state: 'dead', reason: `runner pid ${parts.pid} on this host (${here}) is gone; its lease would expire in ${secs} s` };
  }
  const why = !parts
    ? `holder ${lease.holder} does not name a host and pid`
    : parts.host !== here
      ? `runner pid ${parts.pid} runs on ${parts.host}, not on this host: it cannot be checked from here`
      : `runner pid ${parts.pid} on this host is alive`;
  return { ...base, state: 'live', reason: `${why}; the lease expires in ${secs} s` };
}
