import type { NodeCompactions } from './node-compactions.js';
import { sameProcess, type ProcessLife } from './process-life.js';
import { RaftSimTopology } from './raft-sim-topology.js';
import type { SimClusterState } from './sim-cluster-state.js';
import { runtimeError, SimConnectionError } from './sim-errors.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import type { SimTimeline } from './sim-timeline.js';

/** How membership gets new nodes: provisioned in the cluster's state, then served over HTTP when the cluster serves. */
export interface NewNodes {
  /** Provisions a new node in `dc`/`rack` (JOINING, not serving). */
  provision(dc: string, rack: string): SimNode;
  /** Opens the node's servers when the cluster runs in HTTP mode; `undefined` (nothing to wait for) when it does not. */
  serve(node: SimNode): Promise<void> | undefined;
}

type TopologyOutcome = { status: string; reason?: string; code?: string };

/**
 * Membership changes of the cluster: decommission, removenode and rebuild of existing nodes, and
 * new nodes that bootstrap, replace a dead node, or join at their first start. With the Raft
 * topology (the default) each is a request to the topology coordinator; with the in-memory ring
 * decommission and removenode change the ring after their time.
 */
export class Membership {
  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly life: ProcessLife,
    private readonly compactions: NodeCompactions,
    private readonly newNodes: NewNodes,
  ) {}

  /**
   * `POST /storage_service/decommission`: LEAVING (listed in `nodes/leaving`), then after
   * `decommissionMs` DECOMMISSIONED: tokens gone, gossip and native transport off, no longer a
   * member. 500 unless the node is NORMAL, or when a datacenter would keep fewer nodes than a
   * keyspace's replication factor. With the Raft topology this is a `leave` request whose
   * streaming takes `decommissionMs`; if the node dies meanwhile, the coordinator rolls the node
   * back to normal and the call is reset (ECONNRESET), as with the in-memory ring.
   */
  async decommission(node: SimNode, actor: SimActor): Promise<void> {
    const { cluster, life, time } = this;
    time.sync();
    if (node.mode !== 'NORMAL') {
      throw runtimeError(`Node in ${node.mode === 'NONE' ? 'STARTING' : node.mode} state; wait for status to become normal or restart`);
    }
    const topology = cluster.topology;
    if (topology.nodesIn('leaving').length > 0) throw runtimeError('Cannot decommission: another topology operation is in progress');
    const remaining = cluster.members().filter((n) => n !== node && n.dc === node.dc).length;
    for (const ks of cluster.keyspaces) {
      const rf = Number(ks.replication[node.dc] ?? 0);
      if (rf > remaining) {
        throw runtimeError(`Decommission would leave ${remaining} nodes in datacenter ${node.dc}, fewer than the replication factor ${rf} of keyspace ${ks.name}`);
      }
    }
    if (topology instanceof RaftSimTopology) return this.#raftDecommission(topology, node, actor);
    const t = cluster.clock.now();
    const decommissionMs = cluster.timing.decommissionMs;
    const boot = node.boot;
    cluster.log(node, actor, 'decommission', {});
    life.setMode(node, 'LEAVING', actor);
    topology.beginLeave(node.id);
    life.maybeDie(node, 'decommission', decommissionMs);
    time.changed();
    time.schedule(node, t + decommissionMs, () => {
      topology.completeLeave(node.id);
      node.left = true;
      life.transport(node, false, 'sim');
      life.gossipStop(node, 'sim', true);
      life.setMode(node, 'DECOMMISSIONED', 'sim');
      cluster.log(node, 'sim', 'decommissioned', {});
    });
    await time.waitFor(() => node.boot !== boot, t + decommissionMs);
    if (node.boot !== boot) {
      topology.cancelLeave(node.id);
      throw new SimConnectionError('ECONNRESET', `node ${node.id} died during decommission`);
    }
  }

  /**
   * `POST /storage_service/remove_node?host_id=`: removes a dead node from the ring, coordinated
   * by `coordinator`. 500 if the node is seen alive, is the coordinator, or is unknown.
   */
  async removeNode(coordinator: SimNode, hostId: string, actor: SimActor): Promise<void> {
    const { cluster, time } = this;
    time.sync();
    const target = cluster.nodeByHostId(hostId);
    if (!target || target.left) throw runtimeError(`removenode[${hostId}]: Host ID not found in the cluster`);
    if (target === coordinator) throw runtimeError(`removenode[${hostId}]: Cannot remove self`);
    if (cluster.seesUp(coordinator, target)) {
      throw runtimeError(
        `removenode[${hostId}]: Rejected removenode operation for node ${hostId} ip ${target.address}: the node being removed is alive, maybe you should use decommission instead?`,
      );
    }
    const topology = cluster.topology;
    if (topology instanceof RaftSimTopology) return this.#raftRemoveNode(topology, coordinator, target, hostId, actor);
    const t = cluster.clock.now();
    cluster.log(target, actor, 'removenode', { coordinator: coordinator.id });
    topology.beginLeave(target.id);
    time.changed();
    const boot = coordinator.boot;
    await time.waitFor(() => coordinator.boot !== boot, t + cluster.timing.removeNodeMs);
    if (coordinator.boot !== boot) {
      topology.cancelLeave(target.id);
      throw new SimConnectionError('ECONNRESET', `node ${coordinator.id} died during removenode`);
    }
    topology.completeLeave(target.id);
    target.left = true;
    cluster.log(target, 'sim', 'removed', { coordinator: coordinator.id });
    time.changed();
  }

  async #raftDecommission(topo: RaftSimTopology, node: SimNode, actor: SimActor): Promise<void> {
    const { cluster, life, time } = this;
    const boot = node.boot;
    cluster.log(node, actor, 'decommission', {});
    life.setMode(node, 'LEAVING', actor);
    time.changed();
    const out = await topo.leave(node.id);
    time.sync();
    if (out.status !== 'done') {
      const died = !sameProcess(node, boot);
      if (!died) life.setMode(node, 'NORMAL', 'sim');
      time.changed();
      if (died) throw new SimConnectionError('ECONNRESET', `node ${node.id} died during decommission; the Raft topology coordinator ended it: ${out.reason ?? out.status}`);
      throw runtimeError(`Decommission of ${node.id} ${out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    node.left = true;
    life.transport(node, false, 'sim');
    life.gossipStop(node, 'sim', true);
    life.setMode(node, 'DECOMMISSIONED', 'sim');
    cluster.log(node, 'sim', 'decommissioned', {});
    time.changed();
  }

  async #raftRemoveNode(topo: RaftSimTopology, coordinator: SimNode, target: SimNode, hostId: string, actor: SimActor): Promise<void> {
    const { cluster, time } = this;
    const boot = coordinator.boot;
    cluster.log(target, actor, 'removenode', { coordinator: coordinator.id });
    time.changed();
    const out = await topo.remove(target.id);
    time.sync();
    if (out.status !== 'done') {
      time.changed();
      if (!sameProcess(coordinator, boot)) {
        throw new SimConnectionError('ECONNRESET', `node ${coordinator.id} died during removenode; the Raft topology coordinator ended it: ${out.reason ?? out.status}`);
      }
      throw runtimeError(`removenode[${hostId}]: ${out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    target.left = true;
    cluster.log(target, 'sim', 'removed', { coordinator: coordinator.id });
    time.changed();
  }

  /**
   * `POST /storage_service/rebuild?source_dc=`: streams the node's data (from `sourceDc`)
   * through a `rebuild` request to the Raft topology group; takes `rebuildMs`. 500 if the
   * rebuild fails (e.g. the node dies meanwhile: then the connection is reset), or with the
   * `'memory'` topology.
   */
  async rebuild(node: SimNode, sourceDc: string | undefined, actor: SimActor): Promise<void> {
    const { cluster, time } = this;
    time.sync();
    const topology = cluster.topology;
    if (!(topology instanceof RaftSimTopology)) throw runtimeError(`rebuild of ${node.id}: the simulated cluster's '${cluster.options.topology}' topology does not support rebuild`);
    if (sourceDc !== undefined && !cluster.options.datacenters.some((d) => d.name === sourceDc)) throw runtimeError(`rebuild of ${node.id}: unknown source datacenter ${sourceDc}`);
    const boot = node.boot;
    cluster.log(node, actor, 'rebuild', sourceDc === undefined ? {} : { sourceDc });
    time.changed();
    const out = await topology.rebuild(node.id, sourceDc);
    time.sync();
    if (!sameProcess(node, boot)) throw new SimConnectionError('ECONNRESET', `node ${node.id} died during rebuild`);
    if (out.status !== 'done') {
      time.changed();
      throw runtimeError(`rebuild of ${node.id} ${out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    cluster.log(node, 'sim', 'rebuilt', {});
    time.changed();
  }

  /** The Raft topology; throws naming `what` with the `'memory'` topology. */
  requireRaft(what: string): RaftSimTopology {
    const topology = this.cluster.topology;
    if (!(topology instanceof RaftSimTopology)) {
      throw new Error(`SimCluster.${what} needs the Raft topology (the default); this cluster was created with { topology: '${this.cluster.options.topology}' }`);
    }
    return topology;
  }

  /**
   * Adds a new node to `dc`/`rack` that is not a member yet: its process is stopped and it is in
   * no view of the ring. Its first start joins it, or replaces the node its scylla.yaml names
   * (`replace_node_first_boot`).
   */
  async addNewNode(spec: { dc: string; rack: string; replaces?: string }): Promise<SimNode> {
    this.requireRaft('addNewNode');
    this.time.sync();
    if (spec.replaces !== undefined) this.cluster.node(spec.replaces);
    const node = this.newNodes.provision(spec.dc, spec.rack);
    node.pendingJoin = true;
    node.replacesId = spec.replaces;
    node.process = false;
    node.unit = 'inactive';
    node.mode = 'NONE';
    node.apiListening = false;
    node.groups.clear();
    this.cluster.log(node, 'control', 'added-new-node', spec.replaces === undefined ? {} : { replaces: spec.replaces });
    const serving = this.newNodes.serve(node); // undefined without HTTP mode: then no await at all
    if (serving) await serving;
    this.time.changed();
    return node;
  }

  /** At a new node's first boot: join (or replace) through the topology; a refusal or failure stops the process with the reason. */
  firstBootJoin(node: SimNode, boot: number, fail: (reason: string) => void): void {
    const { cluster, time } = this;
    const topo = this.requireRaft('first boot');
    const spec = { id: node.id, address: node.address, dc: node.dc, rack: node.rack };
    const replaceHostId = firstBootReplaceTarget(node.config);
    let run: () => Promise<TopologyOutcome>;
    let what = 'bootstrap';
    if (replaceHostId !== undefined) {
      what = 'replace';
      const dead = cluster.nodeByHostId(replaceHostId);
      if (!dead) {
        cluster.scheduler.schedule(cluster.clock.now(), () => fail(`replace_node_first_boot: no node with host id ${replaceHostId} in the cluster`));
        return;
      }
      run = () => topo.replace(spec, dead.id);
    } else run = () => topo.join(spec);
    void this.#raftJoin(node, run, what, 'sim').then(
      () => {
        node.pendingJoin = false;
        if (what === 'replace') {
          const dead = cluster.nodeByHostId(replaceHostId!)!;
          dead.left = true;
          cluster.log(dead, 'sim', 'replaced', { by: node.id });
        }
        if (!sameProcess(node, boot)) return;
        node.groups.add('transport');
        node.servingSinceMs = cluster.clock.now();
        this.compactions.startBacklog(node);
        time.changed();
      },
      (e: unknown) => {
        node.pendingJoin = false;
        time.sync();
        if (sameProcess(node, boot)) fail((e as Error).message);
        time.changed();
      },
    );
  }

  /** Bootstraps a new node into `dc`/`rack` through a `join` request; resolves with it once NORMAL. */
  async bootstrapNode(spec: { dc: string; rack: string }, actor: SimActor): Promise<SimNode> {
    const topo = this.requireRaft('bootstrapNode');
    this.time.sync();
    const node = this.newNodes.provision(spec.dc, spec.rack);
    const serving = this.newNodes.serve(node); // undefined without HTTP mode: then no await at all
    if (serving) await serving;
    return this.#raftJoin(node, () => topo.join({ id: node.id, address: node.address, dc: node.dc, rack: node.rack }), 'bootstrap', actor);
  }

  /** Replaces the dead node `deadId` by a new node in the same dc and rack through a `replace` request. */
  async replaceNode(deadId: string, actor: SimActor): Promise<SimNode> {
    const topo = this.requireRaft('replaceNode');
    this.time.sync();
    const dead = this.cluster.node(deadId);
    if (dead.left) throw runtimeError(`replace: node ${deadId} already left the cluster`);
    if (dead.process) throw runtimeError(`replace: node ${deadId} is alive; only a dead node can be replaced`);
    const node = this.newNodes.provision(dead.dc, dead.rack);
    const serving = this.newNodes.serve(node); // undefined without HTTP mode: then no await at all
    if (serving) await serving;
    const r = await this.#raftJoin(node, () => topo.replace({ id: node.id, address: node.address, dc: node.dc, rack: node.rack }, dead.id), 'replace', actor);
    dead.left = true;
    this.cluster.log(dead, 'sim', 'replaced', { by: node.id });
    this.time.changed();
    return r;
  }

  async #raftJoin(node: SimNode, run: () => Promise<TopologyOutcome>, what: string, actor: SimActor): Promise<SimNode> {
    const { cluster, life, time } = this;
    cluster.log(node, actor, what, {});
    time.changed();
    const boot = node.boot;
    const out = await run();
    time.sync();
    if (out.status !== 'done' || !sameProcess(node, boot)) {
      node.left = true;
      life.transport(node, false, 'sim');
      cluster.log(node, 'sim', `${what}-failed`, { reason: out.reason ?? out.code ?? out.status });
      time.changed();
      throw runtimeError(`${what} of ${node.id} ${out.status === 'done' ? 'lost its node' : out.status} in the Raft topology: ${out.reason ?? out.code ?? 'no reason given'}`);
    }
    life.setMode(node, 'NORMAL', 'sim');
    life.transport(node, true, 'sim');
    cluster.log(node, 'sim', `${what}-done`, {});
    time.changed();
    return node;
  }
}

/** `replace_node_first_boot` of a parsed scylla.yaml, when set. */
function firstBootReplaceTarget(config: Record<string, unknown> | undefined): string | undefined {
  const v = config?.['replace_node_first_boot'];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
