import { parse as parseYaml } from 'yaml';
import type { Membership } from './membership.js';
import type { NodeCompactions } from './node-compactions.js';
import { SCYLLA_UNIT, SCYLLA_YAML_PATH } from './node-provisioning.js';
import type { ProcessLife } from './process-life.js';
import { RaftSimTopology } from './raft-sim-topology.js';
import type { SimClusterState } from './sim-cluster-state.js';
import type { SystemctlResult } from './sim-cluster-view.js';
import type { SimNode } from './sim-node.js';
import type { SimActor } from './sim-oplog.js';
import type { SimTimeline } from './sim-timeline.js';

/**
 * Emulated systemd and host power: `systemctl start|stop|restart scylla-server`, the boot of the
 * scylla process through its startup phases, kills, reboots and power-on. Systemd's
 * `Restart=on-abnormal` is not simulated: a killed node stays down until started.
 */
export class SimSystemd {
  constructor(
    private readonly cluster: SimClusterState,
    private readonly time: SimTimeline,
    private readonly life: ProcessLife,
    private readonly compactions: NodeCompactions,
    private readonly membership: Membership,
  ) {}

  /**
   * `systemctl start scylla-server`: boots the process through the startup phases of
   * `SimTiming`; resolves (exit 0) at READY=1 ("starting storage service"), before the node
   * is NORMAL. Exit 1 if the process dies during startup.
   */
  async start(nodeOrId: SimNode | string, actor: SimActor): Promise<SystemctlResult> {
    const node = typeof nodeOrId === 'string' ? this.cluster.node(nodeOrId) : nodeOrId;
    this.time.sync();
    if (!node.hostUp) return { exitCode: 1, stdout: '', stderr: `host ${node.id} is powered off\n` };
    if (node.unit === 'active') return ok();
    if (node.unit === 'deactivating') {
      await this.time.waitFor(() => node.unit !== 'deactivating');
    }
    if (node.unit !== 'activating') {
      this.cluster.log(node, actor, 'systemctl-start', {});
      this.#boot(node);
    }
    const boot = node.boot;
    await this.time.waitFor(() => node.boot !== boot || node.unit !== 'activating');
    if ((node.unit as string) === 'active' && node.boot === boot) return ok();
    return {
      exitCode: 1,
      stdout: '',
      stderr: `Job for ${SCYLLA_UNIT}.service failed because the control process exited with error code.\nSee "systemctl status ${SCYLLA_UNIT}.service" and "journalctl -xeu ${SCYLLA_UNIT}.service" for details.\n`,
    };
  }

  /**
   * `systemctl stop scylla-server`: a graceful shutdown (native transport and gossip stop, peers
   * are told) that takes `stopMs`. Exit 0; at once if already stopped.
   */
  async stop(nodeOrId: SimNode | string, actor: SimActor): Promise<SystemctlResult> {
    const node = typeof nodeOrId === 'string' ? this.cluster.node(nodeOrId) : nodeOrId;
    this.time.sync();
    if (!node.process) {
      if (node.unit === 'failed') node.unit = 'inactive';
      return ok();
    }
    if (node.unit !== 'deactivating') {
      const { life, time } = this;
      const T = this.cluster.timing;
      this.cluster.log(node, actor, 'systemctl-stop', {});
      node.unit = 'deactivating';
      const t = this.cluster.clock.now();
      time.schedule(node, t + T.stopMs * 0.2, () => {
        life.transport(node, false, 'sim');
        life.gossipStop(node, 'sim', true);
      });
      time.schedule(node, t + T.stopMs, () => {
        life.processDown(node);
        node.unit = 'inactive';
        this.cluster.log(node, 'sim', 'stopped', {});
      });
      life.maybeDie(node, 'stop', T.stopMs);
      time.changed();
    }
    await this.time.waitFor(() => node.unit !== 'deactivating');
    return ok();
  }

  /** `systemctl restart scylla-server`: stop, then start. */
  async restart(nodeOrId: SimNode | string, actor: SimActor): Promise<SystemctlResult> {
    const node = typeof nodeOrId === 'string' ? this.cluster.node(nodeOrId) : nodeOrId;
    this.time.sync();
    this.cluster.log(node, actor, 'systemctl-restart', {});
    await this.stop(node, actor);
    return this.start(node, actor);
  }

  /** Kills the node's process at once (unit `failed`); with `host` the host powers off too. */
  kill(node: SimNode, host: boolean): void {
    this.time.sync();
    this.life.kill(node, host, 'control', 'killed');
    this.time.changed();
  }

  /**
   * Reboots the host (`systemctl reboot`): scylla stops at once (peers are told), the host is
   * unreachable for `rebootMs`, then it boots and starts scylla-server (the unit is enabled).
   */
  reboot(node: SimNode, actor: SimActor): void {
    this.time.sync();
    this.cluster.log(node, actor, 'reboot', {});
    if (node.process) {
      this.life.transport(node, false, 'sim');
      this.life.gossipStop(node, 'sim', true);
      this.life.processDown(node);
    }
    node.unit = 'inactive';
    node.hostUp = false;
    const at = this.cluster.clock.now() + this.cluster.timing.rebootMs;
    this.cluster.scheduler.schedule(at, () => {
      if (node.hostUp) return; // powered on meanwhile
      node.hostUp = true;
      this.cluster.log(node, 'sim', 'power-on', { afterReboot: true });
      this.#boot(node);
      this.time.changed();
    });
    this.time.changed();
  }

  /** Powers a host back on; scylla-server starts as it is enabled. */
  powerOn(node: SimNode): void {
    this.time.sync();
    if (node.hostUp) return;
    node.hostUp = true;
    this.cluster.log(node, 'control', 'power-on', {});
    this.#boot(node);
    this.time.changed();
  }

  #boot(node: SimNode): void {
    const { cluster, life, time } = this;
    if (cluster.topology instanceof RaftSimTopology && !node.left) cluster.topology.markUp(node.id);
    node.boot += 1;
    const boot = node.boot;
    const t0 = time.at(); // the scheduled instant when booting from an event (a reboot)
    const T = cluster.timing;
    node.process = true;
    node.unit = 'activating';
    node.bootAtMs = t0;
    node.generation = Math.floor(t0 / 1000);
    node.mode = 'NONE';
    node.apiListening = false;
    node.groups.clear();
    // A node that announced its shutdown stays down for its peers while it boots.
    if (node.shutdownAnnounced && !node.gossipUp) node.gossipSinceMs = Math.min(node.gossipSinceMs, t0 - T.failureDetectionDelayMs);
    node.gossipUp = false;
    node.shutdownAnnounced = false;
    node.nativeTransport = false;
    node.repairs.clear();
    node.repairSeq = 0;
    node.drain = undefined;
    node.compaction = undefined;
    const at = (ms: number, fn: () => void) => time.schedule(node, t0 + ms, fn);
    const fail = (reason: string) => {
      life.processDown(node);
      node.unit = 'failed';
      cluster.log(node, 'sim', 'start-failed', { reason });
    };
    // scylla.yaml is read first: a file that does not parse stops the boot
    let configError: string | undefined;
    const file = node.files.get(SCYLLA_YAML_PATH);
    if (!file) configError = `${SCYLLA_YAML_PATH}: No such file or directory`;
    else {
      try {
        const parsed = parseYaml(file.content) as unknown;
        node.config = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
        node.configLoaded = true;
      } catch (e) {
        configError = `${SCYLLA_YAML_PATH}: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    if (configError !== undefined) {
      at(T.apiListenMs / 2, () => fail(`configuration error: ${configError}`));
      return;
    }
    if (node.left) {
      at(T.tokenMetadataMs, () => fail('This node was decommissioned and will not rejoin the ring'));
      return;
    }
    const never = cluster.faults.neverReturn(node.id);
    life.maybeDie(node, 'start', T.nativeTransportMs);
    at(T.apiListenMs, () => {
      node.apiListening = true;
      for (const g of ['system', 'snitch', 'task_manager', 'storage_proxy'] as const) node.groups.add(g);
    });
    at(T.tokenMetadataMs, () => {
      for (const g of ['token_metadata', 'gossiper', 'failure_detector'] as const) node.groups.add(g);
    });
    if (never === 'crash') {
      at((T.tokenMetadataMs + T.compactionGroupMs) / 2, () => fail('simulated fault: never-return (crash during startup)'));
      return;
    }
    at(T.compactionGroupMs, () => {
      for (const g of ['repair', 'compaction_manager', 'column_family'] as const) node.groups.add(g);
    });
    at(T.storageServiceMs, () => {
      node.groups.add('snapshot');
      node.groups.add('storage_service');
      node.mode = 'STARTING';
      cluster.log(node, 'sim', 'mode', { mode: 'STARTING' });
      if (node.unit === 'activating') node.unit = 'active'; // not when a stop is already under way
      cluster.log(node, 'sim', 'started', { bootAtMs: t0 });
    });
    at(T.joiningMs, () => {
      life.setMode(node, 'JOINING', 'sim');
      life.gossipStart(node, 'sim');
      if (node.pendingJoin) this.membership.firstBootJoin(node, boot, fail);
    });
    if (never === 'stuck' || node.pendingJoin) return;
    at(T.normalMs, () => {
      life.setMode(node, 'NORMAL', 'sim');
      this.compactions.startBacklog(node);
    });
    at(T.nativeTransportMs, () => {
      node.groups.add('transport');
      life.transport(node, true, 'sim');
      node.servingSinceMs = time.at();
      cluster.log(node, 'sim', 'serving', {});
    });
  }
}

function ok(): SystemctlResult {
  return { exitCode: 0, stdout: '', stderr: '' };
}
