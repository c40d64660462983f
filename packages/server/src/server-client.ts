import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { JobRecord, StoredEvent } from '@scylla-cp/core';
import type { JobSubmission } from './job-service.js';

/** An error answer of the server API. */
export class ServerApiError extends Error {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** The API's error code (`INVALID_INPUT`, `CLUSTER_LOCKED`, `UNAUTHENTICATED`, ...). */
    readonly code: string,
    message: string,
    /** Each input problem with its location, for `INVALID_INPUT`. */
    readonly problems: string[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ServerApiError';
  }
}

/** The server could not be reached (connection refused, reset, DNS, TLS). */
export class ServerUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach the scylla-cp server at ${url}: ${(cause as Error)?.message ?? String(cause)}${(cause as { cause?: Error })?.cause ? ` (${(cause as { cause: Error }).cause.message})` : ''}`, { cause });
    this.name = 'ServerUnreachableError';
  }
}

/** A job as the API lists it (no plan). */
export type JobSummary = Omit<JobRecord, 'plan' | 'workflowText'>;

/** Options of {@link ServerClient}. */
export interface ServerClientOptions {
  /** Base URL, e.g. `https://scylla-cp.internal:8443`. */
  url: string;
  /** The bearer token. */
  token?: string;
  /** Times an event stream is re-opened (with `Last-Event-ID`) after the connection broke. @default 30 */
  streamRetries?: number;
  /** Milliseconds between those re-opens. @default 1000 */
  streamRetryDelayMs?: number;
}

/** The end of an event stream: the job's state then. */
export interface StreamEnd {
  jobId: string;
  state: JobRecord['state'];
  lastSeq: number;
}

/**
 * A client of the `scylla-cp server` API (what the CLI uses with `--server`).
 * Every method throws {@link ServerApiError} for an error answer and
 * {@link ServerUnreachableError} when the server cannot be reached.
 */
export class ServerClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  readonly #token: string | undefined;
  readonly #retries: number;
  readonly #retryDelayMs: number;

  constructor(options: ServerClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
    this.#retries = options.streamRetries ?? 30;
    this.#retryDelayMs = options.streamRetryDelayMs ?? 1000;
  }

  #headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.#token) h.authorization = `Bearer ${this.#token}`;
    if (json) h['content-type'] = 'application/json';
    return h;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, init);
    } catch (e) {
      throw new ServerUnreachableError(this.url, e);
    }
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(path, { method, headers: this.#headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ServerApiError(res.status, 'BAD_RESPONSE', `${method} ${path}: the server answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = json?.error ?? {};
      throw new ServerApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `${method} ${path}: HTTP ${res.status}`, e.problems ?? [], e.details ?? {});
    }
    return json as T;
  }

  /** Submits a job; returns it (`pending`; a replica starts it). */
  async submit(sub: JobSubmission): Promise<JobSummary> {
    return (await this.#call<{ job: JobSummary }>('POST', '/v1/jobs', sub)).job;
  }

  /** Jobs, newest first. */
  async list(query: { cluster?: string; states?: string[]; limit?: number } = {}): Promise<JobSummary[]> {
    const p = new URLSearchParams();
    if (query.cluster) p.set('cluster', query.cluster);
    for (const s of query.states ?? []) p.append('state', s);
    if (query.limit) p.set('limit', String(query.limit));
    const qs = p.toString();
    return (await this.#call<{ jobs: JobSummary[] }>('GET', `/v1/jobs${qs ? `?${qs}` : ''}`)).jobs;
  }

  /** A job with its plan, step records and current lease (absent when none is held). */
  get(jobId: string): Promise<{ job: JobRecord; steps: import('@scylla-cp/core').StepRecord[]; lease?: import('@scylla-cp/core').Lease }> {
    return this.#call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /** A job's stored events after `afterSeq`. */
  async events(jobId: string, afterSeq = 0): Promise<StoredEvent[]> {
    return (await this.#call<{ events: StoredEvent[] }>('GET', `/v1/jobs/${encodeURIComponent(jobId)}/events?after=${afterSeq}`)).events;
  }

  /** `pause`, `resume`, `retry` or `cancel`; returns the job afterwards. */
  async control(jobId: string, action: 'pause' | 'resume' | 'retry' | 'cancel'): Promise<JobSummary> {
    return (await this.#call<{ job: JobSummary }>('POST', `/v1/jobs/${encodeURIComponent(jobId)}/${action}`)).job;
  }

  /** Cancels a job; with `now`, its steps in flight are aborted (they still settle). */
  async cancel(jobId: string, now = false): Promise<JobSummary> {
    return (await this.#call<{ job: JobSummary }>('POST', `/v1/jobs/${encodeURIComponent(jobId)}/cancel`, now ? { now: true } : {})).job;
  }

  /** Approves a paused job (recorded with the caller and `step`) and continues it. */
  async approve(jobId: string, step?: string): Promise<JobSummary> {
    return (await this.#call<{ job: JobSummary }>('POST', `/v1/jobs/${encodeURIComponent(jobId)}/approve`, step === undefined ? {} : { step })).job;
  }

  /**
   * Follows a job's event stream (SSE) from `afterSeq`, calling `onEvent` for
   * each stored event in order, until the server sends `end` (the job paused
   * or ended). A broken connection (e.g. the replica died) is re-opened with
   * `Last-Event-ID`, so no event is lost or repeated.
   */
  async follow(jobId: string, onEvent: (e: StoredEvent) => void, options: { afterSeq?: number; signal?: AbortSignal } = {}): Promise<StreamEnd> {
    let last = options.afterSeq ?? 0;
    let failures = 0;
    for (;;) {
      let end: StreamEnd | undefined;
      let apiError: ServerApiError | undefined;
      try {
        const res = await fetch(`${this.url}/v1/jobs/${encodeURIComponent(jobId)}/stream`, {
          headers: { ...this.#headers(false), accept: 'text/event-stream', 'last-event-id': String(last) },
          signal: options.signal,
        });
        if (!res.ok) {
          const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
          apiError = new ServerApiError(res.status, json.error?.code ?? `HTTP_${res.status}`, json.error?.message ?? `stream: HTTP ${res.status}`);
        } else {
          const parser = createParser({
            onEvent: (m: EventSourceMessage) => {
              if (m.event === 'end') end = JSON.parse(m.data) as StreamEnd;
              else if (m.event === 'error') apiError = new ServerApiError(500, 'STREAM_ERROR', (JSON.parse(m.data) as { message: string }).message);
              else {
                const e = JSON.parse(m.data) as StoredEvent;
                if (e.seq > last) {
                  last = e.seq;
                  onEvent(e);
                }
              }
            },
          });
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            parser.feed(decoder.decode(chunk, { stream: true }));
            failures = 0;
          }
        }
      } catch (e) {
        if (options.signal?.aborted) throw e;
        // A broken connection: try again below.
      }
      if (end) return end;
      if (apiError) throw apiError;
      if (++failures > this.#retries) throw new ServerUnreachableError(this.url, new Error(`the event stream of job ${jobId} broke ${failures} times`));
      await new Promise((r) => setTimeout(r, this.#retryDelayMs));
    }
  }
}
