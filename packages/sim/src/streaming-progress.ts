/**
 * One node's streaming for a topology request, on the simulation's clock: it needs `totalMs` of
 * streaming time, has done `doneMs` of it up to `sinceMs`, and advances one millisecond per
 * millisecond of the clock unless its node's streaming is stalled.
 */
interface NodeStream {
  readonly totalMs: number;
  doneMs: number;
  sinceMs: number;
  stalled: boolean;
  /** Died or aborted: frozen for good. */
  halted: boolean;
}

/** The streaming progress of a topology request: `completed` of `total` percent (`total` is 100). */
export interface StreamingPercent {
  readonly total: number;
  readonly completed: number;
}

/**
 * Bookkeeping of the simulator's topology streaming, so that the task manager can report a
 * request's progress: each (request, node) stream advances with the clock; a node's streaming can
 * be stalled (it then makes no progress and does not end) and resumed. A request's progress is
 * the streamed time over the total time of its nodes' streams (all nodes of a removenode stream at
 * once), as a percentage. Pure bookkeeping: the caller passes the clock's time.
 */
export class StreamingProgress {
  readonly #byRequest = new Map<string, Map<string, NodeStream>>();
  readonly #stalledNodes = new Set<string>();

  /** Starts (or restarts, from 0) `nodeId`'s stream of `totalMs` milliseconds for `requestId` at `nowMs`. */
  begin(requestId: string, nodeId: string, totalMs: number, nowMs: number): void {
    let m = this.#byRequest.get(requestId);
    if (!m) this.#byRequest.set(requestId, (m = new Map()));
    m.set(nodeId, { totalMs: Math.max(0, totalMs), doneMs: 0, sinceMs: nowMs, stalled: this.#stalledNodes.has(nodeId), halted: false });
  }

  /** Marks the stream done (all of it streamed). */
  finish(requestId: string, nodeId: string, nowMs: number): void {
    const s = this.#byRequest.get(requestId)?.get(nodeId);
    if (!s) return;
    s.doneMs = s.totalMs;
    s.sinceMs = nowMs;
  }

  /** Freezes the stream where it is (a node that died or was aborted mid-stream). */
  halt(requestId: string, nodeId: string, nowMs: number): void {
    const s = this.#byRequest.get(requestId)?.get(nodeId);
    if (!s) return;
    this.#accrue(s, nowMs);
    s.stalled = true;
    s.halted = true;
  }

  /** Stalls (`true`) or resumes (`false`) every current and later stream of `nodeId` at `nowMs`. */
  setStalled(nodeId: string, stalled: boolean, nowMs: number): void {
    if (stalled) this.#stalledNodes.add(nodeId);
    else this.#stalledNodes.delete(nodeId);
    for (const m of this.#byRequest.values()) {
      const s = m.get(nodeId);
      if (!s || s.halted || s.doneMs >= s.totalMs) continue;
      this.#accrue(s, nowMs);
      s.stalled = stalled;
    }
  }

  /** Whether `nodeId`'s streaming is stalled. */
  isStalled(nodeId: string): boolean {
    return this.#stalledNodes.has(nodeId);
  }

  /** When `nodeId`'s stream for `requestId` ends, as things stand at `nowMs` (`Infinity` while stalled). */
  endAt(requestId: string, nodeId: string, nowMs: number): number {
    const s = this.#byRequest.get(requestId)?.get(nodeId);
    if (!s) return nowMs;
    this.#accrue(s, nowMs);
    return s.stalled && s.doneMs < s.totalMs ? Number.POSITIVE_INFINITY : nowMs + (s.totalMs - s.doneMs);
  }

  /** The request's streaming progress at `nowMs`; `undefined` if it has not streamed yet. */
  percent(requestId: string, nowMs: number): StreamingPercent | undefined {
    const m = this.#byRequest.get(requestId);
    if (!m || m.size === 0) return undefined;
    let done = 0;
    let total = 0;
    for (const s of m.values()) {
      this.#accrue(s, nowMs);
      done += s.doneMs;
      total += s.totalMs;
    }
    return { total: 100, completed: total === 0 ? 100 : Math.round((10000 * done) / total) / 100 };
  }

  #accrue(s: NodeStream, nowMs: number): void {
    if (!s.stalled) s.doneMs = Math.min(s.totalMs, s.doneMs + Math.max(0, nowMs - s.sinceMs));
    s.sinceMs = nowMs;
  }
}
