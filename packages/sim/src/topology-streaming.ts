import type { StreamRangesCommand } from '@scylla-cp/raft';
import { sameProcess, type ProcessLife } from './process-life.js';
import type { SimClusterState } from './sim-cluster-state.js';
import type { SimTimeline } from './sim-timeline.js';
import { StreamingProgress, type StreamingPercent } from './streaming-progress.js';

/**
 * The data streaming of Raft topology operations, on the simulation's clock: how long each
 * node's stream takes, whether it is stalled, and each request's progress in percent.
 */
export class TopologyStreaming {
  readonly #progress = new StreamingProgress();

  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly life: ProcessLife,
  ) {}

  /**
   * The streaming of a Raft topology operation on `nodeId`: takes `decommissionMs` (leave),
   * `removeNodeMs` (remove: every remaining normal node streams at once), `bootstrapMs` (join,
   * replace) or `rebuildMs`, and fails if the node's process dies (or restarts) meanwhile. A
   * `die-during` fault on `decommission` (`rebuild`) counts its `afterMs` from the start of the
   * node's leave (rebuild) streaming.
   */
  async stream(cmd: StreamRangesCommand, nodeId: string, signal: AbortSignal): Promise<void> {
    const { cluster, time } = this;
    time.sync();
    const node = cluster.node(nodeId);
    if (!node.process) throw new Error(`node ${nodeId} is down; cannot stream for ${cmd.kind} ${cmd.requestId}`);
    const T = cluster.timing;
    const ms = { leave: T.decommissionMs, remove: T.removeNodeMs, join: T.bootstrapMs, replace: T.bootstrapMs, rebuild: T.rebuildMs }[cmd.kind];
    const boot = node.boot;
    if (cmd.kind === 'leave' || cmd.kind === 'rebuild') this.life.maybeDie(node, cmd.kind === 'leave' ? 'decommission' : 'rebuild', ms);
    if ((cmd.kind === 'join' || cmd.kind === 'replace') && nodeId === cmd.nodeId) this.life.maybeDie(node, 'bootstrap', ms);
    const wake = (): void => time.changed();
    signal.addEventListener('abort', wake, { once: true });
    const sp = this.#progress;
    const now = () => cluster.clock.now();
    sp.begin(cmd.requestId, nodeId, ms, now());
    try {
      // A stalled stream makes no progress and does not end until resumed (stallStreaming).
      for (let end = sp.endAt(cmd.requestId, nodeId, now()); now() < end; end = sp.endAt(cmd.requestId, nodeId, now())) {
        const stalled = sp.isStalled(nodeId);
        await time.waitFor(() => !sameProcess(node, boot) || signal.aborted || sp.isStalled(nodeId) !== stalled, end);
        if (!sameProcess(node, boot) || signal.aborted) break;
      }
    } finally {
      signal.removeEventListener('abort', wake);
    }
    if (!sameProcess(node, boot) || signal.aborted) sp.halt(cmd.requestId, nodeId, now());
    else sp.finish(cmd.requestId, nodeId, now());
    if (!sameProcess(node, boot)) throw new Error(`node ${nodeId} died while streaming for ${cmd.kind} ${cmd.requestId}`);
    if (signal.aborted) throw new Error(`streaming on ${nodeId} for ${cmd.kind} ${cmd.requestId} was aborted: ${(signal.reason as Error | undefined)?.message ?? 'aborted'}`);
  }

  /** Stalls (`true`) or resumes (`false`) the topology streaming of `nodeId`. */
  stall(nodeId: string, stalled: boolean): void {
    this.time.sync();
    this.cluster.node(nodeId);
    this.#progress.setStalled(nodeId, stalled, this.cluster.clock.now());
    this.time.changed();
  }

  /** A topology request's streaming progress now, in percent (`undefined` before it streams). */
  percent(requestId: string): StreamingPercent | undefined {
    return this.#progress.percent(requestId, this.cluster.clock.now());
  }
}
