import type { ClusterCondition, ConditionCheck, ConditionResult, NodeCondition } from '../api/condition.js';
import type { ClusterExecutionContext, NodeExecutionContext } from '../api/context.js';
import { abortReason } from '../clock/clock.js';
import { classifyError } from '../errors/classify-error.js';
import { ConditionTimeoutError } from '../errors/task-errors.js';

/** One poll of a condition, as reported to listeners (the engine's `condition-poll` event). */
export interface ConditionPollInfo {
  /** The condition's name (`condition.name()`). */
  condition: string;
  /** 1-based number of this poll within the current wait. */
  poll: number;
  /** Whether the condition held on this poll (a recoverable check error counts as `false`). */
  ok: boolean;
  /** What the condition saw, or the recoverable error's message. */
  detail: string;
  /** Set when the check threw a recoverable error. */
  error?: string;
  /** Seconds the condition has held without interruption, as of this poll (0 when `ok` is false). */
  heldSeconds: number;
  /** The check's success window, seconds. */
  successWindowSeconds: number;
  /** Whether this poll completed the wait successfully. */
  passed: boolean;
  /** Clock time of the poll, ms since epoch. */
  at: number;
}

/** Receives every poll of a wait. Must not throw (errors it throws are ignored). */
export type ConditionPollReporter = (info: ConditionPollInfo) => void;

/**
 * The key under which the engine stores a {@link ConditionPollReporter} on
 * every execution context it builds, so that `waitForCondition(check, ctx)`
 * called with just those two arguments (e.g. by `!wait-for-conditions`)
 * still emits `condition-poll` events. A task that derives its own context
 * with `{ ...ctx }` keeps the reporter (it is an enumerable own property).
 */
export const CONDITION_POLL_REPORTER = Symbol.for('@scylla-cp/core.condition-poll-reporter');

/**
 * The key under which the engine stores, on every execution context, a
 * function that takes work still running on the attempt's behalf (a condition
 * check the wait stopped waiting for at its timeout). The engine counts an
 * attempt as over only once such work has settled too (up to the abandon
 * grace). `waitForCondition` registers every check it leaves running.
 */
export const ATTEMPT_WORK_TRACKER = Symbol.for('@scylla-cp/core.attempt-work-tracker');

/** Registers work still running for an attempt (see {@link ATTEMPT_WORK_TRACKER}). */
export type AttemptWorkTracker = (work: Promise<unknown>) => void;

/** Options of {@link waitForCondition}. */
export interface WaitForConditionOptions {
  /**
   * Called after every poll, in addition to the reporter found on the context
   * under {@link CONDITION_POLL_REPORTER}.
   */
  onPoll?: ConditionPollReporter;
}

type AnyCtx = ClusterExecutionContext | NodeExecutionContext;

function reporterOf(ctx: AnyCtx): ConditionPollReporter | undefined {
  const r = (ctx as unknown as Record<symbol, unknown>)[CONDITION_POLL_REPORTER];
  return typeof r === 'function' ? (r as ConditionPollReporter) : undefined;
}

const TIMED_OUT = Symbol('timed-out');

/**
 * Waits until `check.condition` holds for `check.successWindowSeconds`.
 *
 * With `check.stallTimeoutSeconds`, the wait does not end at the timeout
 * while the condition's progress measure (`result.progress`) keeps getting
 * better: each poll that improves on the best value seen moves the deadline
 * to `stallTimeoutSeconds` after that poll (never before the timeout); the
 * timeout error's detail then says where the measure stalled.
 *
 * - Polls at `start + k * pollIntervalSeconds` on `ctx.clock` (a check that takes
 *   longer than the interval is followed by the next poll at once).
 * - Passes on a good poll made at least `successWindowSeconds` after the first
 *   poll of an unbroken run of good polls (window 0: the first good poll passes),
 *   and returns that poll's result.
 * - A bad poll restarts the window. A `RecoverableError` thrown by the check is a
 *   bad poll whose detail is the error's message. Any other error is rethrown at
 *   once.
 * - When the next poll would fall after `timeoutSeconds` (measured from the call),
 *   or a check is still running at that time, throws `ConditionTimeoutError` with
 *   the last detail and the number of polls, at the timeout instant.
 * - Honours `ctx.signal`: rejects with its reason as soon as it aborts.
 *
 * Every poll is reported to `options.onPoll` and to the reporter the engine
 * puts on the context (see {@link CONDITION_POLL_REPORTER}).
 */
export async function waitForCondition(
  check: ConditionCheck<NodeCondition | ClusterCondition>,
  ctx: AnyCtx,
  options: WaitForConditionOptions = {},
): Promise<ConditionResult> {
  const { clock, signal } = ctx;
  const condition = check.condition;
  const name = condition.name();
  const intervalMs = check.pollIntervalSeconds * 1000;
  const windowMs = check.successWindowSeconds * 1000;
  const timeoutMs = check.timeoutSeconds * 1000;
  const start = clock.now();
  // With a stall timeout the deadline moves: `stallMs` after the progress measure last improved, never before the timeout.
  let deadline = start + timeoutMs;
  const stallMs = check.stallTimeoutSeconds === undefined ? undefined : check.stallTimeoutSeconds * 1000;
  let best: number | undefined;
  let progressNote = '';
  const reporters = [reporterOf(ctx), options.onPoll].filter((r): r is ConditionPollReporter => r !== undefined);

  let polls = 0;
  let lastDetail = 'no poll completed';
  let heldSince: number | undefined;

  const timeout = (): ConditionTimeoutError =>
    new ConditionTimeoutError({ condition: name, timeoutSeconds: check.timeoutSeconds, lastDetail: lastDetail + progressNote, polls });

  for (let k = 0; ; ) {
    if (signal.aborted) throw abortReason(signal);
    const pollAt = clock.now();
    polls++;
    let result: ConditionResult;
    let recoverableMessage: string | undefined;
    const outcome = await checkBefore(condition, ctx, deadline);
    if (outcome === TIMED_OUT) {
      if (signal.aborted) throw abortReason(signal);
      lastDetail = `check still running at the timeout (${lastDetail})`;
      throw timeout();
    }
    if (signal.aborted) throw abortReason(signal);
    if (!outcome.ok) {
      const err = outcome.error;
      if (classifyError(err) !== 'recoverable') throw err;
      recoverableMessage = String((err as Error)?.message ?? err);
      result = { ok: false, detail: recoverableMessage };
    } else {
      result = outcome.result;
      if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
        throw new TypeError(`condition ${name}: check() must resolve to { ok: boolean, detail: string }, got ${JSON.stringify(result)}`);
      }
    }
    lastDetail = String(result.detail ?? '');
    const p = result.progress;
    if (stallMs !== undefined && p !== undefined && typeof p.value === 'number' && Number.isFinite(p.value)) {
      const improved = best === undefined || (p.better === 'higher' ? p.value > best : p.value < best);
      if (improved) {
        best = p.value;
        deadline = Math.max(start + timeoutMs, pollAt + stallMs);
      }
      progressNote = `; ${p.measure} ${improved ? 'improved to' : 'stalled at'} ${p.value} (best ${best}); with stall_timeout_seconds ${check.stallTimeoutSeconds} the wait ends that long after the last improvement, not before timeout_seconds`;
    }
    let passed = false;
    let held = 0;
    if (result.ok) {
      if (heldSince === undefined) heldSince = pollAt;
      held = pollAt - heldSince;
      passed = held >= windowMs;
    } else {
      heldSince = undefined;
    }
    const info: ConditionPollInfo = {
      condition: name,
      poll: polls,
      ok: result.ok,
      detail: lastDetail,
      heldSeconds: held / 1000,
      successWindowSeconds: check.successWindowSeconds,
      passed,
      at: pollAt,
    };
    if (recoverableMessage !== undefined) info.error = recoverableMessage;
    for (const r of reporters) {
      try {
        r(info);
      } catch {
        // a reporter must never break the wait
      }
    }
    if (passed) return result;

    // Next poll on the fixed schedule, skipping slots already past.
    const now = clock.now();
    k++;
    let next = start + k * intervalMs;
    if (next < now) {
      k = Math.ceil((now - start) / intervalMs);
      next = start + k * intervalMs;
    }
    if (next > deadline) {
      if (deadline > now) await clock.sleep(deadline - now, signal);
      throw timeout();
    }
    await clock.sleep(next - now, signal);
  }
}

type CheckOutcome = { ok: true; result: ConditionResult } | { ok: false; error: unknown };

/** Runs one check; resolves `TIMED_OUT` if it is still running at `deadline`. */
async function checkBefore(
  condition: NodeCondition | ClusterCondition,
  ctx: AnyCtx,
  deadline: number,
): Promise<CheckOutcome | typeof TIMED_OUT> {
  const run: Promise<CheckOutcome> = (async () => {
    try {
      return { ok: true, result: await (condition.check as (c: AnyCtx) => Promise<ConditionResult>)(ctx) };
    } catch (error) {
      return { ok: false, error };
    }
  })();
  // Fast path: a check that settles within the current turn needs no timer.
  let settled: CheckOutcome | undefined;
  void run.then((o) => {
    settled = o;
  });
  for (let i = 0; i < 4 && settled === undefined; i++) await Promise.resolve();
  if (settled !== undefined) return settled;
  // The check may outlive this wait (timeout, abort): let the engine await it.
  const tracker = (ctx as unknown as Record<symbol, unknown>)[ATTEMPT_WORK_TRACKER];
  if (typeof tracker === 'function') (tracker as AttemptWorkTracker)(run);
  const remaining = deadline - ctx.clock.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      run,
      ctx.clock.sleep(Math.max(0, remaining), stop.signal).then(
        (): typeof TIMED_OUT => TIMED_OUT,
        (): CheckOutcome | typeof TIMED_OUT => (ctx.signal.aborted ? { ok: false, error: abortReason(ctx.signal) } : TIMED_OUT),
      ),
    ]);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    stop.abort();
  }
}
