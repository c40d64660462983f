import { UnrecoverableError, type ConditionCheck, type ExecuteNodeTask, type InventoryNode, type NodeExecutionContext } from '@scylla-cp/core';
import { scyllaApi } from '../services/scylla-api-service.js';
import { ScyllaConfigSet } from './scylla-config-set.js';
import { systemctl, unitState } from './systemd-service-task.js';
import { askMember, clusterMembers, findTopologyTask, waitTopologyTask } from './topology-requests.js';

/** Options of {@link ScyllaBootstrap}. */
export interface ScyllaBootstrapOptions {
  /** The YAML tag (task name). @default 'scylla-bootstrap' */
  tag?: string;
  /** Seed addresses written to scylla.yaml. @default up to 3 members of the node's dc (else of any dc), from the inventory */
  seeds?: string[];
  /**
   * Replace this dead node (inventory id): its host id is written as `replace_node_first_boot`.
   * @default the node's inventory `replaces` (for `scylla-replace`); none for `scylla-bootstrap`
   */
  replaces?: string;
  /** Whether the node must be a replacement (`scylla-replace`). @default false */
  replace?: boolean;
  /** scylla.yaml path. @default '/etc/scylla/scylla.yaml' */
  configPath?: string;
  /** systemd unit. @default 'scylla-server' */
  service?: string;
  /** Seconds between polls of the topology request. @default 5 */
  pollIntervalSeconds?: number;
  /** Seconds to wait for the node's topology request to appear after the start. @default 600 */
  startTimeoutSeconds?: number;
}

/** What {@link ScyllaBootstrap} returns. */
export interface ScyllaBootstrapResult {
  /** The node was already a member owning tokens: nothing was done. */
  alreadyJoined: boolean;
  hostId?: string;
  /** The topology request (task-manager task) id. */
  taskId?: string;
}

const SEED_PROVIDER = 'org.apache.cassandra.locator.SimpleSeedProvider';

/**
 * `scylla-bootstrap` (and `scylla-replace`): brings a new node into the cluster through the
 * Raft topology. Writes the seeds (and, for a replace, `replace_node_first_boot: <host id of the
 * dead node>`) into scylla.yaml through the node shell (`scylla-config-set`: comments kept,
 * backup, atomic, a no-op when already set), starts the scylla-server unit, reads the node's host
 * id, finds its topology request (task manager `node_ops`, asked of a member) and waits until it
 * is done or failed.
 *
 * Idempotency: first asks a member whether the node's address already owns tokens
 * (`/storage_service/host_id`): then nothing is written or started. Otherwise the writes are
 * no-ops when already made, `systemctl start` of a running unit does nothing, and the wait
 * attaches to the node's existing request (by host id) instead of making a second one. So a
 * resumed or retried attempt waits for the same join.
 *
 * Errors: the request failed or was refused (the coordinator rolled it back) →
 * `UnrecoverableError` `TOPOLOGY_REQUEST_FAILED` with the coordinator's reason; the unit failed
 * before any request appeared → `BOOTSTRAP_START_FAILED`; a replace whose target is alive
 * (gossip, seen from a member) → `REPLACE_TARGET_ALIVE`, or whose target is unknown →
 * `REPLACE_TARGET_UNKNOWN`; `scylla-replace` on a node without `replaces` → `INVALID_PARAMS`;
 * no request after `start_timeout_seconds` → `BOOTSTRAP_TIMEOUT` (unrecoverable: look at the
 * node's log); unreachable nodes and 5xx → recoverable (from the REST client); config and
 * systemctl failures as in `scylla-config-set` and `systemd-start-service`.
 */
export class ScyllaBootstrap implements ExecuteNodeTask {
  constructor(readonly options: ScyllaBootstrapOptions = {}) {}
  name(): string {
    return this.options.tag ?? 'scylla-bootstrap';
  }
  preconditions(): ConditionCheck[] {
    return [];
  }

  #target(ctx: NodeExecutionContext): InventoryNode | undefined {
    const id = this.options.replaces ?? (this.options.replace ? ctx.node.replaces : undefined);
    if (id === undefined) {
      if (this.options.replace) {
        throw new UnrecoverableError(`${ctx.node.id}: scylla-replace needs the dead node: set replaces: <node id> on the node in the inventory or in the task`, {
          code: 'INVALID_PARAMS',
        });
      }
      return undefined;
    }
    const t = ctx.inventory.nodes.find((n) => n.id === id || n.address === id);
    if (!t) throw new UnrecoverableError(`${ctx.node.id}: the node to replace, "${id}", is not in the inventory`, { code: 'REPLACE_TARGET_UNKNOWN' });
    return t;
  }

  async execute(ctx: NodeExecutionContext): Promise<ScyllaBootstrapResult> {
    const node = ctx.node;
    const what = `${node.id}: ${this.options.replace || this.options.replaces ? 'replace' : 'bootstrap'}`;
    const target = this.#target(ctx);
    const o = { signal: ctx.signal };
    // 1. already a member owning tokens?
    const owners = await askMember(ctx, node, (api) => api.hostIdMap(o));
    const own = owners.find((e) => e.key === node.address);
    if (own) {
      ctx.logger.info(`${what}: already owns tokens (host id ${own.value}); nothing to do`);
      return { alreadyJoined: true, hostId: own.value };
    }
    // 2. a replace: the dead node's host id, and it must be dead
    const settings: Record<string, unknown> = {
      seed_provider: [{ class_name: SEED_PROVIDER, parameters: [{ seeds: this.#seeds(ctx).join(',') }] }],
    };
    if (target) {
      const entry = owners.find((e) => e.key === target.address);
      if (!entry) {
        throw new UnrecoverableError(`${what}: ${target.id} (${target.address}) owns no tokens in the cluster (already replaced or removed?); nothing to replace`, {
          code: 'REPLACE_TARGET_UNKNOWN',
          details: { target: target.id },
        });
      }
      const live = await askMember(ctx, node, async (api, m) => ({ live: await api.liveEndpoints(o), from: m.id }));
      if (live.live.includes(target.address)) {
        throw new UnrecoverableError(`${what}: ${target.id} (${target.address}) is alive (gossip, seen from ${live.from}); only a dead node can be replaced: stop it, or use scylla-decommission`, {
          code: 'REPLACE_TARGET_ALIVE',
          details: { target: target.id, seenFrom: live.from },
        });
      }
      settings['replace_node_first_boot'] = entry.value;
    }
    // 3. scylla.yaml, idempotently
    await new ScyllaConfigSet({ settings, ...(this.options.configPath ? { configPath: this.options.configPath } : {}) }).execute(ctx);
    // 4. start the unit (a no-op when running)
    const service = this.options.service ?? 'scylla-server';
    const r = await systemctl(ctx, 'start', service);
    if (r.exitCode !== 0) {
      throw new UnrecoverableError(`${what}: systemctl start ${service} failed with exit ${r.exitCode}: ${r.stderr.trim().slice(-300)} (see journalctl -u ${service}; a node whose join failed must have its data wiped before it can join again)`, {
        code: 'BOOTSTRAP_START_FAILED',
        details: { node: node.id, exitCode: r.exitCode },
      });
    }
    // 5. its host id, then its topology request
    const pollMs = (this.options.pollIntervalSeconds ?? 5) * 1000;
    const hostId = await scyllaApi(ctx).localHostId(o);
    const types = target ? ['replace'] : ['bootstrap'];
    const deadline = ctx.clock.now() + (this.options.startTimeoutSeconds ?? 600) * 1000;
    for (;;) {
      const task = await findTopologyTask(ctx, node, hostId, types);
      if (task) {
        ctx.logger.info(`${what}: topology request ${task.taskId} is ${task.state}; waiting for it`);
        await waitTopologyTask(ctx, task.taskId, { what, pollMs, except: node });
        ctx.logger.info(`${what}: done (host id ${hostId})`);
        return { alreadyJoined: false, hostId, taskId: task.taskId };
      }
      const state = await unitState(ctx, service);
      if (state !== 'active' && state !== 'activating') {
        throw new UnrecoverableError(`${what}: ${service} is ${state} and no topology request was made for host id ${hostId}; see journalctl -u ${service}`, {
          code: 'BOOTSTRAP_START_FAILED',
          details: { node: node.id, hostId, unit: state },
        });
      }
      if (ctx.clock.now() >= deadline) {
        throw new UnrecoverableError(`${what}: no topology request for host id ${hostId} within ${this.options.startTimeoutSeconds ?? 600} s of the start; see the node's log`, {
          code: 'BOOTSTRAP_TIMEOUT',
          details: { node: node.id, hostId },
        });
      }
      await ctx.clock.sleep(Math.min(pollMs, 1000), ctx.signal);
    }
  }

  #seeds(ctx: NodeExecutionContext): string[] {
    if (this.options.seeds && this.options.seeds.length > 0) return this.options.seeds;
    const members = clusterMembers(ctx, ctx.node);
    const sameDc = members.filter((n) => n.dc === ctx.node.dc);
    const seeds = (sameDc.length > 0 ? sameDc : members).slice(0, 3).map((n) => n.address);
    if (seeds.length === 0) {
      throw new UnrecoverableError(`${ctx.node.id}: no member of the cluster in the inventory to use as a seed; give seeds: in the task`, { code: 'INVALID_PARAMS' });
    }
    return seeds;
  }
}
