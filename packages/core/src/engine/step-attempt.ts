import { setMaxListeners } from 'node:events';
import { abortReason, type Clock } from '../clock/clock.js';
import { AttemptDidNotStopError } from '../errors/attempt-errors.js';
import { RecoverableError } from '../errors/task-errors.js';
import type { AttemptWorkTracker } from './wait-for-condition.js';

/** What one attempt runs: preconditions then execute, given the attempt's signal. */
export type AttemptWork = (signal: AbortSignal, track: AttemptWorkTracker) => Promise<unknown>;

/** Input of {@link runAttempt}. */
export interface AttemptSpec {
  clock: Clock;
  /** The job's signal: aborting it aborts the attempt (cancel --now, interrupt, store failure). */
  jobSignal: AbortSignal;
  /** Per-attempt timeout, seconds; absent or 0: none. */
  timeoutSeconds?: number;
  /** How long to wait, after the attempt was aborted, for its work to settle, ms. */
  graceMs: number;
  stepId: string;
  nodeId?: string;
  task: string;
  attempt: number;
  work: AttemptWork;
}

/**
 * How an attempt ended. `abandoned` is set when the work did not settle within
 * the grace: `error` is then an {@link AttemptDidNotStopError} and `abandoned`
 * settles whenever the work finally does.
 */
export type AttemptOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: unknown; abandoned?: Promise<unknown> };

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

const GAVE_UP = Symbol('gave-up');

/**
 * Runs one attempt and returns only once its work has settled (the task's
 * `execute`, the precondition checks, and any check a timed-out wait left
 * running), or once the abandon grace has run out after an abort.
 *
 * - The attempt's signal aborts when the job's does, or at the step timeout
 *   (with a `RecoverableError` code `STEP_TIMEOUT`).
 * - Work that settles before any abort: its result or error is the outcome.
 * - Work still running at the abort: the engine waits up to `graceMs` for it;
 *   the outcome is then the abort's reason (a task that ignores its signal
 *   and completes anyway still timed out). Not settled in the grace: the
 *   outcome is an `AttemptDidNotStopError` and `abandoned`.
 *
 * Never rejects. No listener stays on the job's signal after it returns.
 */
export async function runAttempt(a: AttemptSpec): Promise<AttemptOutcome> {
  const { clock, jobSignal } = a;
  if (jobSignal.aborted) return { ok: false, error: abortReason(jobSignal) };
  const ctl = new AbortController();
  const signal = ctl.signal;
  // Tasks and their HTTP clients may listen on the attempt's signal many times
  // at once (undici adds one listener per request in flight); they are removed
  // as requests finish, so no cap applies to this short-lived signal.
  setMaxListeners(0, signal);
  const onJobAbort = (): void => ctl.abort(jobSignal.reason);
  jobSignal.addEventListener('abort', onJobAbort, { once: true });
  const pending = new Set<Promise<unknown>>();
  const track: AttemptWorkTracker = (p) => {
    const q = p.then(
      () => {},
      () => {},
    );
    pending.add(q);
    void q.then(() => pending.delete(q));
  };
  const timer = new AbortController();
  let onAborted: (() => void) | undefined;
  try {
    if (a.timeoutSeconds !== undefined && a.timeoutSeconds > 0) {
      const seconds = a.timeoutSeconds;
      clock.sleep(seconds * 1000, timer.signal).then(
        () =>
          ctl.abort(
            new RecoverableError(`step ${a.stepId} (!${a.task}) attempt ${a.attempt} timed out after ${seconds}s`, {
              code: 'STEP_TIMEOUT',
              details: { stepId: a.stepId, timeoutSeconds: seconds },
            }),
          ),
        () => {},
      );
    }
    const settled: Promise<Settled> = Promise.resolve()
      .then(() => a.work(signal, track))
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
    const aborted = new Promise<typeof GAVE_UP>((resolve) => {
      onAborted = () => resolve(GAVE_UP);
      signal.addEventListener('abort', onAborted, { once: true });
    });
    let outcome = await Promise.race([settled, aborted]);
    let graceEnd: number | undefined;
    let interrupted = false;
    if (outcome === GAVE_UP) {
      interrupted = true;
      graceEnd = clock.now() + a.graceMs;
      outcome = await within(clock, settled, a.graceMs);
      if (outcome === GAVE_UP) return abandon(a, signal, settled.then(() => Promise.all([...pending])));
    }
    timer.abort();
    if (pending.size > 0) {
      // The work settled but left checks running (a wait that timed out): stop
      // them and wait for them too.
      if (!signal.aborted) ctl.abort(new Error(`step ${a.stepId} attempt ${a.attempt} ended; stopping its remaining checks`));
      graceEnd ??= clock.now() + a.graceMs;
      const rest = Promise.all([...pending]);
      if ((await within(clock, rest, Math.max(0, graceEnd - clock.now()))) === GAVE_UP) return abandon(a, signal, rest);
    }
    // Aborted while it ran: the abort's reason is the outcome, however it ended.
    if (interrupted) return { ok: false, error: signal.reason ?? (outcome.ok ? abortReason(signal) : outcome.error) };
    return outcome;
  } finally {
    timer.abort();
    jobSignal.removeEventListener('abort', onJobAbort);
    if (onAborted) signal.removeEventListener('abort', onAborted);
  }
}

/** `work`'s value, or GAVE_UP when `ms` of clock time pass first. */
async function within<T>(clock: Clock, work: Promise<T>, ms: number): Promise<T | typeof GAVE_UP> {
  const stop = new AbortController();
  try {
    return await Promise.race([
      work,
      clock.sleep(ms, stop.signal).then(
        (): typeof GAVE_UP => GAVE_UP,
        (): typeof GAVE_UP => GAVE_UP,
      ),
    ]);
  } finally {
    stop.abort();
  }
}

function abandon(a: AttemptSpec, signal: AbortSignal, still: Promise<unknown>): AttemptOutcome {
  const reason = signal.reason as { message?: unknown } | undefined;
  const info = {
    stepId: a.stepId,
    task: a.task,
    attempt: a.attempt,
    graceSeconds: a.graceMs / 1000,
    abortedBecause: String(reason?.message ?? reason ?? 'aborted'),
    ...(a.nodeId !== undefined ? { nodeId: a.nodeId } : {}),
  };
  return { ok: false, error: new AttemptDidNotStopError(info), abandoned: still.then(() => {}, () => {}) };
}
