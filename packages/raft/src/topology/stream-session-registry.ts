import type { TopologyState } from './topology-types.js';

/** What identifies one streaming stage: the operation and the session the state gave it. */
export interface StreamSessionKey {
  readonly requestId: string;
  readonly session: number;
}

/**
 * Why a stream of `cmd` is stale on `state`, or `undefined` when `cmd` belongs to the current
 * streaming stage: the session must be the state's current one, the request the operation in
 * progress, and that operation in a streaming stage (`write_both_read_old`, or a rebuild).
 */
export function staleStreamReason(state: TopologyState, cmd: StreamSessionKey): string | undefined {
  if (cmd.session !== state.session) return `session ${cmd.session} is not the current streaming session ${state.session}`;
  const t = state.transition;
  if (!t || t.requestId !== cmd.requestId) return `request ${cmd.requestId} is not the operation in progress (${t?.requestId ?? 'none'})`;
  const streaming = t.kind === 'rebuild' ? state.tstate === null : state.tstate === 'write_both_read_old';
  if (!streaming || t.rollbackReason !== undefined) return `request ${cmd.requestId} is not streaming (transition state ${state.tstate ?? 'none'}${t.rollbackReason !== undefined ? ', rolling back' : ''})`;
  return undefined;
}

interface Entry {
  readonly key: StreamSessionKey;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/**
 * The streams a node runs, by session. A command for the stream already running (same
 * request and session: a new coordinator resending it) joins it instead of streaming twice;
 * a command of another session aborts the older streams (their signal fires) and starts its
 * own, so an older stream's completion is never taken for a newer one's.
 */
export class StreamSessionRegistry {
  readonly #entries = new Map<string, Entry>();

  /** Sessions with a stream in flight. */
  get inFlight(): StreamSessionKey[] {
    return [...this.#entries.values()].map((e) => e.key);
  }

  /** Runs (or joins) the stream of `key`; `stream` gets a signal that aborts when a newer session starts. */
  run(key: StreamSessionKey, stream: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const id = `${key.requestId}@${key.session}`;
    const same = this.#entries.get(id);
    if (same) return same.done;
    for (const [other, e] of this.#entries) {
      if (other === id) continue;
      e.abort.abort(new Error(`stream of ${e.key.requestId} session ${e.key.session} superseded by ${key.requestId} session ${key.session}`));
      this.#entries.delete(other);
    }
    const abort = new AbortController();
    let p: Promise<void>;
    try {
      p = stream(abort.signal);
    } catch (e) {
      p = Promise.reject(e);
    }
    const done = p.finally(() => {
      if (this.#entries.get(id)?.done === done) this.#entries.delete(id);
    });
    this.#entries.set(id, { key, abort, done });
    return done;
  }

  /** Aborts every stream in flight (the agent stops). */
  abortAll(reason: Error): void {
    for (const e of this.#entries.values()) e.abort.abort(reason);
    this.#entries.clear();
  }
}
