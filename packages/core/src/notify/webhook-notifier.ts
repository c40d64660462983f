import { request } from 'undici';
import type { EventEmitter } from 'eventemitter3';
import { silentLogger, type Logger } from '../api/logger.js';
import type { Clock } from '../clock/clock.js';
import { SystemClock } from '../clock/system-clock.js';
import { InvalidInputError } from '../errors/input-errors.js';
import type { EngineEvents, JobEvent, NotificationEvent } from '../engine/engine-events.js';
import { redactUrl, scrubUrl } from './redact-url.js';

/** The payload format of a webhook: Discord, Slack (incoming webhook) or a generic JSON POST. */
export type WebhookKind = 'discord' | 'slack' | 'webhook';

/** One webhook to notify. */
export interface WebhookTarget {
  kind: WebhookKind;
  /** The webhook URL. A secret: never printed, logged, stored or put in events (see `redactUrl`). */
  url: string;
  /**
   * Discord only: the user id (a numeric snowflake) tagged as `<@id>`; the
   * message's `allowed_mentions` lets only this user be pinged.
   */
  mentionUserId?: string;
}

/** The job states that can trigger a notification. */
export type NotifyTrigger = 'failed' | 'interrupted' | 'succeeded' | 'cancelled' | 'paused';

/** Options of a {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  targets: WebhookTarget[];
  /**
   * Job states that trigger a notification. `failed` (the job halted on an
   * unrecoverable error or exhausted retries) and `interrupted` (the store
   * failed or another runner took over) need a human.
   * @default ['failed', 'interrupted']
   */
  notifyOn?: NotifyTrigger[];
  /** Also notify when a job succeeds (adds `succeeded` to `notifyOn`). @default false */
  notifyOnSuccess?: boolean;
  /**
   * Discord user id (numeric) tagged in Discord messages of targets that set
   * no `mentionUserId` of their own (e.g. the CLI's `--operator-mention`). @default none
   */
  operatorMention?: string;
  /** Delivery attempts per message and target. @default 5 */
  maxAttempts?: number;
  /** Delay before the second attempt, ms; doubles each time. @default 1000 */
  initialDelayMs?: number;
  /** Upper bound of a backoff delay, ms. @default 30000 */
  maxDelayMs?: number;
  /** Longest HTTP 429 `retry_after` honoured, seconds; a longer one is waited for this long. @default 300 */
  maxRetryAfterSeconds?: number;
  /** Timeout of one HTTP request, ms. @default 10000 */
  requestTimeoutMs?: number;
  /** Clock for the waits between attempts. @default new SystemClock() */
  clock?: Clock;
  /** Receives delivery problems (with redacted URLs). @default silentLogger */
  logger?: Logger;
}

const SNOWFLAKE = /^[0-9]{1,25}$/;

/** The human text of a notification. */
export function notificationText(e: JobEvent): string {
  const what =
    e.state === 'failed' ? 'FAILED' : e.state === 'interrupted' ? 'was INTERRUPTED' : e.state === 'paused' && e.error?.code === 'AWAITING_APPROVAL' ? 'is WAITING FOR YOUR APPROVAL' : e.state;
  let text = `scylla-cp: job ${e.jobId} (workflow ${e.workflowName}, cluster ${e.cluster}, operator ${e.operator}) ${what}`;
  if (e.error) text += `: ${e.error.message}`;
  if (e.failedNodes && e.failedNodes.length > 0) {
    const shown = e.failedNodes.slice(0, 20).join(', ');
    text += `\nfailed nodes (${e.failedNodes.length}): ${shown}${e.failedNodes.length > 20 ? ', ...' : ''}`;
  }
  return text.length > 1900 ? `${text.slice(0, 1897)}...` : text;
}

/** The JSON body sent to a target for a job event. */
export function notificationBody(target: WebhookTarget, e: JobEvent): Record<string, unknown> {
  const text = notificationText(e);
  switch (target.kind) {
    case 'discord': {
      const id = target.mentionUserId;
      return id
        ? { content: `<@${id}> ${text}`, allowed_mentions: { parse: [], users: [id] } }
        : { content: text, allowed_mentions: { parse: [] } };
    }
    case 'slack':
      return { text };
    case 'webhook':
      return {
        event: `job.${e.state}`,
        jobId: e.jobId,
        state: e.state,
        cluster: e.cluster,
        operator: e.operator,
        workflowName: e.workflowName,
        at: new Date(e.at).toISOString(),
        error: e.error ?? null,
        failedNodes: e.failedNodes ?? [],
        text,
      };
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * Sends a webhook message when a job needs a human (it failed or was
 * interrupted) and, optionally, when it ends otherwise. A listener of the
 * engine's `job` events: `new WebhookNotifier({ targets }).attach(engine)`.
 *
 * Delivery never blocks or fails the job: it runs in the background, retries
 * network errors, HTTP 5xx and 429 with exponential backoff, honours 429
 * `retry_after` (Discord's JSON body, or a `Retry-After` header), gives up
 * after `maxAttempts`, and reports each step as a `notification` event on the
 * attached engine. Call {@link flush} before the process exits. Webhook URLs
 * appear only redacted in events, logs and errors.
 */
export class WebhookNotifier {
  readonly #targets: WebhookTarget[];
  readonly #notifyOn: Set<string>;
  readonly #maxAttempts: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #pending = new Set<Promise<void>>();
  #emitter: EventEmitter<EngineEvents> | undefined;

  constructor(options: WebhookNotifierOptions) {
    const targets = options.targets.map((t) =>
      t.kind === 'discord' && t.mentionUserId === undefined && options.operatorMention !== undefined ? { ...t, mentionUserId: options.operatorMention } : { ...t },
    );
    for (const t of targets) {
      if (t.kind !== 'discord' && t.kind !== 'slack' && t.kind !== 'webhook') {
        throw new InvalidInputError(`notifier: unknown webhook kind "${String(t.kind)}"; use discord, slack or webhook`, { code: 'BAD_NOTIFY' });
      }
      let proto = '';
      try {
        proto = new URL(t.url).protocol;
      } catch {
        throw new InvalidInputError(`notifier: the ${t.kind} webhook URL is not a valid URL`, { code: 'BAD_NOTIFY' });
      }
      if (proto !== 'https:' && proto !== 'http:') {
        throw new InvalidInputError(`notifier: the ${t.kind} webhook URL must be http(s) (${redactUrl(t.url)})`, { code: 'BAD_NOTIFY' });
      }
      if (t.mentionUserId !== undefined && !SNOWFLAKE.test(t.mentionUserId)) {
        throw new InvalidInputError(`notifier: mentionUserId must be a numeric Discord user id, got "${t.mentionUserId.slice(0, 40)}"`, { code: 'BAD_NOTIFY' });
      }
    }
    this.#targets = targets;
    this.#notifyOn = new Set<string>(options.notifyOn ?? ['failed', 'interrupted']);
    if (options.notifyOnSuccess) this.#notifyOn.add('succeeded');
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#initialDelayMs = options.initialDelayMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#maxRetryAfterMs = (options.maxRetryAfterSeconds ?? 300) * 1000;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#clock = options.clock ?? new SystemClock();
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Listens to `emitter`'s `job` events and reports on it; on an `Engine`, also
   * makes `engine.close()` wait for pending deliveries. Returns a function that detaches.
   */
  attach(emitter: EventEmitter<EngineEvents>): () => void {
    this.#emitter = emitter;
    const onJob = (e: JobEvent): void => {
      // A job that paused for a human (an `!approval`, the canary of --stop-after) always pages: someone must act.
      if (this.#notifyOn.has(e.state) || (e.state === 'paused' && e.error?.code === 'AWAITING_APPROVAL')) void this.notify(e);
    };
    emitter.on('job', onJob);
    // An Engine flushes pending deliveries in close().
    const closable = emitter as unknown as { onClose?: (hook: () => Promise<void>) => () => void };
    const unhook = typeof closable.onClose === 'function' ? closable.onClose(() => this.flush()) : undefined;
    return () => {
      emitter.off('job', onJob);
      unhook?.();
    };
  }

  /** Sends `event` to every target. Resolves when delivery ended (sent or given up); never rejects. */
  notify(event: JobEvent): Promise<void> {
    const p = Promise.all(this.#targets.map((t) => this.#deliver(t, event))).then(() => undefined);
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
    return p;
  }

  /** Resolves when every delivery started so far has ended. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  #report(ev: NotificationEvent): void {
    try {
      this.#emitter?.emit('notification', ev);
    } catch {
      // a throwing listener must not break delivery
    }
  }

  async #deliver(target: WebhookTarget, event: JobEvent): Promise<void> {
    const body = JSON.stringify(notificationBody(target, event));
    const redacted = redactUrl(target.url);
    const base = { jobId: event.jobId, channel: target.kind, target: redacted, trigger: event.state };
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      let error: string;
      let httpStatus: number | undefined;
      let retryable = true;
      try {
        await this.#post(target.url, body);
        this.#report({ ...base, at: this.#clock.now(), status: 'sent', attempt });
        return;
      } catch (e) {
        if (e instanceof HttpStatusError) {
          httpStatus = e.status;
          error = e.message;
          retryable = e.status === 429 || e.status >= 500;
          if (e.retryAfterSeconds !== undefined) retryAfterMs = Math.min(this.#maxRetryAfterMs, Math.max(0, e.retryAfterSeconds * 1000));
        } else {
          error = scrubUrl(String((e as Error)?.message ?? e), target.url);
        }
      }
      if (!retryable || attempt >= this.#maxAttempts) {
        const ev: NotificationEvent = { ...base, at: this.#clock.now(), status: 'failed', attempt, error };
        if (httpStatus !== undefined) ev.httpStatus = httpStatus;
        this.#report(ev);
        this.#logger.warn(`notification to ${target.kind} ${redacted} for job ${event.jobId} failed after ${attempt} attempt(s): ${error}`);
        return;
      }
      const backoff = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(retryAfterMs ?? backoff);
      const ev: NotificationEvent = { ...base, at: this.#clock.now(), status: 'retrying', attempt, delayMs, error };
      if (httpStatus !== undefined) ev.httpStatus = httpStatus;
      this.#report(ev);
      await this.#clock.sleep(delayMs);
    }
  }

  async #post(url: string, body: string): Promise<void> {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'scylla-cp' },
      body,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    const status = res.statusCode;
    const text = await res.body.text().catch(() => '');
    if (status >= 200 && status < 300) return;
    let retryAfterSeconds: number | undefined;
    if (status === 429) {
      try {
        const parsed = JSON.parse(text) as { retry_after?: unknown };
        if (typeof parsed.retry_after === 'number' && Number.isFinite(parsed.retry_after)) retryAfterSeconds = parsed.retry_after;
      } catch {
        // not JSON: fall back to the header
      }
      if (retryAfterSeconds === undefined) {
        const h = res.headers['retry-after'];
        const v = Array.isArray(h) ? h[0] : h;
        if (v !== undefined) {
          const n = Number(v);
          if (Number.isFinite(n)) retryAfterSeconds = n;
          else {
            const date = Date.parse(v);
            if (Number.isFinite(date)) retryAfterSeconds = Math.max(0, (date - this.#clock.now()) / 1000);
          }
        }
      }
    }
    throw new HttpStatusError(status, retryAfterSeconds);
  }
}
