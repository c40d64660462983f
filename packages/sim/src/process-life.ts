import type { NodeCompactions } from './node-compactions.js';
import { RaftSimTopology } from './raft-sim-topology.js';
import type { SimClusterState } from './sim-cluster-state.js';
import type { SimOperation } from './sim-faults.js';
import type { OperationMode, SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import type { SimTimeline } from './sim-timeline.js';

/**
 * The steps of a node's process life that every subsystem takes: mode changes, gossip and native
 * transport on and off, the process going down (cleanly or killed), and the `die-during` and
 * `kill-on` faults that kill a process at a chosen moment. Each step is logged.
 */
export class ProcessLife {
  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly compactions: NodeCompactions,
  ) {}

  /** Sets the operation mode (logged when it changes). */
  setMode(node: SimNode, mode: OperationMode, actor: SimActor): void {
    if (node.mode === mode) return;
    node.mode = mode;
    this.cluster.log(node, actor, 'mode', { mode });
  }

  /** Stops gossip; `announced`: the node told its peers (`STATUS=shutdown,true`), so they see it down at once. */
  gossipStop(node: SimNode, actor: SimActor, announced: boolean): void {
    if (node.gossipUp) {
      node.gossipUp = false;
      node.gossipSinceMs = this.time.at();
      this.cluster.log(node, actor, 'gossip-stop', {});
    }
    if (announced) node.shutdownAnnounced = true;
  }

  /** Starts gossip. */
  gossipStart(node: SimNode, actor: SimActor): void {
    node.shutdownAnnounced = false;
    if (!node.gossipUp) {
      node.gossipUp = true;
      node.gossipSinceMs = this.time.at();
      this.cluster.log(node, actor, 'gossip-start', {});
    }
  }

  /** Starts or stops the native transport (CQL). */
  transport(node: SimNode, on: boolean, actor: SimActor): void {
    if (node.nativeTransport === on) return;
    node.nativeTransport = on;
    this.cluster.log(node, actor, on ? 'native-transport-start' : 'native-transport-stop', {});
  }

  /** The process stops (cleanly or not): every listener closes and every scheduled event of it is void. */
  processDown(node: SimNode): void {
    const topology = this.cluster.topology;
    if (topology instanceof RaftSimTopology) topology.markDown(node.id);
    const c = this.compactions.figures(node);
    node.completedCompactions = c.map((x) => x.completed);
    node.process = false;
    node.apiListening = false;
    node.groups.clear();
    node.nativeTransport = false;
    if (node.gossipUp) {
      node.gossipUp = false;
      node.gossipSinceMs = this.time.at();
    }
    node.compaction = undefined;
    node.cleanups = [];
    node.drain = undefined;
    node.boot += 1; // invalidates every scheduled event of the old process
  }

  /** Kills the process (unit `failed`); with `host` the host powers off too. */
  kill(node: SimNode, host: boolean, actor: SimActor, reason: string): void {
    const topology = this.cluster.topology;
    if (topology instanceof RaftSimTopology) topology.markDown(node.id);
    if (node.process) {
      this.processDown(node);
      node.unit = 'failed';
    }
    if (host) {
      node.hostUp = false;
      node.unit = 'inactive';
    }
    this.cluster.log(node, actor, 'killed', { host, reason });
  }

  /** Schedules the node's death during `op` (which takes `durationMs`) when a `die-during` fault asks for it. */
  maybeDie(node: SimNode, op: SimOperation, durationMs: number): void {
    const d = this.cluster.faults.dieDuring(node.id, op);
    if (!d) return;
    const at = this.time.at() + (d.afterMs ?? durationMs / 2);
    this.time.schedule(node, at, () => this.kill(node, d.host, 'fault', `died during ${op}`));
  }

  /** Fires the `kill-on` faults whose trigger is this oplog entry (node `nodeId` did `action`). */
  killOn(nodeId: string, action: string): void {
    const faults = this.cluster.faults;
    for (const { id, fault } of faults.killOn()) {
      if (fault.trigger.action !== action) continue;
      if (fault.trigger.node !== undefined && fault.trigger.node !== nodeId) continue;
      if (fault.node === nodeId && action === 'killed') continue;
      faults.clear(id);
      const victim = this.cluster.node(fault.node);
      const at = this.time.at() + (fault.delayMs ?? 0);
      this.cluster.scheduler.schedule(at, () => {
        this.kill(victim, fault.host ?? false, 'fault', `kill-on ${fault.trigger.node ?? '*'}:${fault.trigger.action}`);
        this.time.changed();
      });
    }
  }
}

/** Whether `node` still runs the process of boot `boot` (it neither died nor restarted since). */
export function sameProcess(node: SimNode, boot: number): boolean {
  return node.boot === boot && node.process;
}
