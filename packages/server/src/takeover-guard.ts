import { AsyncLocalStorage } from 'node:async_hooks';
import { ScyllaCpError, type JobState, type JobStore, type Lease } from '@scylla-cp/core';

/** A runner declined to take a job over: once it held the lease, the job was no longer one to take. */
export class TakeoverDeclinedError extends ScyllaCpError {
  static override readonly kind: string = 'TakeoverDeclinedError';
  constructor(
    readonly jobId: string,
    readonly state: JobState,
    readonly control: string | undefined,
  ) {
    super(`job ${jobId} is ${state}${control ? ` with a ${control} request` : ''}: not taken over`, { code: 'TAKEOVER_DECLINED', details: { jobId, state, control } });
  }
}

const scope = new AsyncLocalStorage<{ states: readonly JobState[] }>();

/**
 * Runs `fn` as an automatic takeover: every lease taken inside it (through a
 * store wrapped by {@link guardTakeovers}) is kept only if, read under that
 * lease, the job is in one of `states` with no pending control request;
 * otherwise the lease is released and {@link TakeoverDeclinedError} thrown.
 * Under the lease no other runner can change the job's state, so a job that a
 * person paused just after the runner's scan listed it is never resumed by it.
 */
export function asTakeover<T>(states: readonly JobState[], fn: () => Promise<T>): Promise<T> {
  return scope.run({ states }, fn);
}

/** Wraps a store so that {@link asTakeover} can check jobs under their new lease. Every other call goes straight through. */
export function guardTakeovers(store: JobStore): JobStore {
  const acquireLease: JobStore['acquireLease'] = async (jobId, holder, ttlMs, nowMs, ...rest) => {
    const lease: Lease = await (store.acquireLease as (...a: unknown[]) => Promise<Lease>).call(store, jobId, holder, ttlMs, nowMs, ...rest);
    const ctx = scope.getStore();
    if (!ctx) return lease;
    const job = await store.getJob(jobId);
    if (!ctx.states.includes(job.state) || job.control !== undefined) {
      await store.releaseLease(lease).catch(() => {});
      throw new TakeoverDeclinedError(jobId, job.state, job.control);
    }
    return lease;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'acquireLease') return acquireLease;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
