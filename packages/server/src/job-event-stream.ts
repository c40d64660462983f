import type { JobState, JobStore, StoredEvent } from '@scylla-cp/core';

/** Job states at which a stream of the job's events ends: the job is not running and no runner will continue it on its own. */
export const STREAM_END_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'paused'];

/** Options of {@link streamJobEvents}. */
export interface JobEventStreamOptions {
  store: JobStore;
  jobId: string;
  /** Send events after this sequence number (SSE `Last-Event-ID`). @default 0 */
  afterSeq?: number;
  /** Writes a chunk of the `text/event-stream` body. */
  write: (chunk: string) => void;
  /** Stops the stream (the client went away, the server closes). */
  signal: AbortSignal;
  /** Milliseconds between reads of the store when nothing is new. @default 250 */
  pollMs?: number;
  /** Milliseconds between keep-alive comments. @default 15000 */
  keepAliveMs?: number;
}

/** One stored event as an SSE message: `id` is its sequence number, `event` its type, `data` the event as JSON. */
export function formatSseEvent(e: StoredEvent): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** Event types that a replica appends around a graceful handover (see `JobRunner.stop`). */
export const HANDOVER_EVENT = 'job.handing-over';

/** How long a `job.handing-over` mark keeps a paused job's stream open, ms (a replica killed mid-handover leaves it paused). */
export const HANDOVER_GRACE_MS = 30_000;

/**
 * Whether a paused job is only passing through `paused` on its way to another
 * replica: its latest run-changing event is a recent `job.handing-over` mark.
 */
async function handoverInProgress(store: JobStore, jobId: string, nowMs: number): Promise<boolean> {
  let last: StoredEvent | undefined;
  for (let after = 0; ; ) {
    const page = await store.listEvents(jobId, { afterSeq: after, limit: 1000 });
    if (page.length === 0) break;
    for (const e of page) {
      if (e.type === HANDOVER_EVENT || e.type === 'job.handed-over' || e.type === 'job.resumed' || e.type === 'job.started' || e.type.startsWith('api.')) last = e;
    }
    after = page[page.length - 1]!.seq;
  }
  return last?.type === HANDOVER_EVENT && nowMs - last.at < HANDOVER_GRACE_MS;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Streams a job's stored events as Server-Sent Events, read from the store
 * (so the stream works on any replica, whichever runs the job): first those
 * after `afterSeq`, then new ones as they are committed. When the job is in
 * one of {@link STREAM_END_STATES} and every event has been sent, a final
 * `end` message carries `{ "state": ... }` and the function returns; a job
 * paused only for a handover between replicas (a recent `job.handing-over`
 * mark) does not end the stream.
 * @throws JobNotFoundError before anything is written
 */
export async function streamJobEvents(o: JobEventStreamOptions): Promise<void> {
  const pollMs = o.pollMs ?? 250;
  const keepAliveMs = o.keepAliveMs ?? 15_000;
  let after = o.afterSeq ?? 0;
  let lastWrite = performance.now();
  while (!o.signal.aborted) {
    // Read the state before the events: a state change is committed with its
    // event, so an end state seen here has its event in the read that follows.
    const job = await o.store.getJob(o.jobId);
    const events = await o.store.listEvents(o.jobId, { afterSeq: after, limit: 500 });
    for (const e of events) {
      o.write(formatSseEvent(e));
      after = e.seq;
    }
    if (events.length > 0) {
      lastWrite = performance.now();
      continue;
    }
    if (STREAM_END_STATES.includes(job.state) && !(job.state === 'paused' && (await handoverInProgress(o.store, o.jobId, Date.now())))) {
      o.write(`event: end\ndata: ${JSON.stringify({ jobId: o.jobId, state: job.state, lastSeq: after })}\n\n`);
      return;
    }
    if (performance.now() - lastWrite >= keepAliveMs) {
      o.write(': keep-alive\n\n');
      lastWrite = performance.now();
    }
    await sleep(pollMs, o.signal);
  }
}
