// Issue 16 item 4 (tasks-scylla side): what a task waiting on a topology operation reports, and
// the `!topology-requests-idle` gate, against the simulator over real HTTP (Raft topology on
// RaftServers, system clock).
import { parseInventory, ServiceRegistry, SystemClock, UnrecoverableError, type ClusterInventory, type InventoryNode, type Logger, type NodeExecutionContext } from '@scylla-cp/core';
import { ScyllaApiProviders, ScyllaDecommission, TopologyRequestDone, TopologyRequestsIdle, topologyTasks, waitTopologyTask, scyllaApiFor } from '@scylla-cp/tasks-scylla';
import { afterEach, describe, expect, it } from 'vitest';
import { inventoryYaml, RaftSimTopology, SimCluster } from '../src/index.js';
import { SEED } from './helpers.js';

let cluster: SimCluster | undefined;
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of disposers.splice(0)) await d();
  await cluster?.stop();
  cluster = undefined;
});

/** A context for `node`, with REST clients over HTTP and a logger that keeps its lines. */
function contextFor(inventory: ClusterInventory, node: InventoryNode): { ctx: NodeExecutionContext; lines: string[] } {
  const registry = new ServiceRegistry();
  const api = new ScyllaApiProviders();
  registry.provide(api.nodeProvider()).provide(api.clientsProvider());
  disposers.push(() => api.dispose());
  const job = { id: 'job-1', operator: 'tester', variables: {}, workflowName: 'test' };
  const clock = new SystemClock();
  const signal = new AbortController().signal;
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
  const services = registry.bind({ inventory, node, job, clock, signal });
  return { ctx: { inventory, job, logger, clock, signal, services, attempt: 1, stepId: 's1', node }, lines };
}

async function start(timing: { decommissionMs?: number; rebuildMs?: number }) {
  cluster = new SimCluster({ seed: SEED, nodesPerZone: 2, timing });
  await cluster.start();
  const inventory = parseInventory(inventoryYaml(cluster.inventory()));
  const inv = (id: string) => inventory.nodes.find((n) => n.id === id)!;
  if (!(cluster.topology instanceof RaftSimTopology)) throw new Error('expected the Raft topology');
  return { cluster, topo: cluster.topology, inventory, inv };
}

describe(`topology tasks over HTTP against the simulator (SEED=${SEED})`, () => {
  it('!topology-requests-idle names a running decommission and a queued rebuild with the coordinator, and holds once both ended; a waiter logs what it is queued behind', async () => {
    const { cluster, topo, inventory, inv } = await start({ decommissionMs: 1500, rebuildMs: 500 });
    const [a, b, c] = [cluster.nodes[5]!, cluster.nodes[1]!, cluster.nodes[0]!];
    const idle = new TopologyRequestsIdle();
    const { ctx } = contextFor(inventory, inv(c.id));
    expect(await idle.check(ctx)).toMatchObject({ ok: true });

    const dec = cluster.request(a.id, 'POST', '/storage_service/decommission');
    await new Promise((r) => setTimeout(r, 100));
    const reb = cluster.request(b.id, 'POST', '/storage_service/rebuild');
    await new Promise((r) => setTimeout(r, 100));
    const leader = topo.leaderId!;
    const r1 = await idle.check(ctx);
    expect(r1.ok).toBe(false);
    expect(r1.detail).toContain(`decommission of ${a.id} (running)`);
    expect(r1.detail).toContain(`rebuild of ${b.id} (queued)`);
    expect(r1.detail).toContain(`coordinator ${leader} (host id ${cluster.node(leader).hostId})`);

    // the rebuild's own view: queued behind the decommission
    const { ctx: bctx, lines } = contextFor(inventory, inv(b.id));
    const done = await new TopologyRequestDone().check(bctx);
    expect(done.ok).toBe(false);
    expect(done.detail).toContain(`queued behind decommission of ${a.id} (running)`);
    // a task waiting on it logs the same, and where the coordinator runs, then returns when it is done
    const tasks = await topologyTasks(scyllaApiFor(bctx, inv(c.id)));
    const rebTask = tasks.find((t) => t.type === 'rebuild')!;
    const status = await waitTopologyTask(bctx, rebTask.taskId, { what: `${b.id}: rebuild`, pollMs: 100, except: inv(b.id) });
    expect(status.state).toBe('done');
    expect(lines[0]).toMatch(new RegExp(`topology request ${rebTask.taskId} is created; queued behind decommission of [0-9a-f-]+ \\(running\\); coordinator ${leader}`));

    expect((await dec).status).toBe(200);
    expect((await reb).status).toBe(200);
    expect(await idle.check(ctx)).toMatchObject({ ok: true, detail: expect.stringContaining('no topology request queued or running') });
  });

  it("a decommission rolled back by the coordinator fails with its reason and names the coordinator's node", async () => {
    const { cluster, topo, inventory, inv } = await start({ decommissionMs: 1500 });
    const a = cluster.nodes[5]!;
    const leader = topo.leaderId!;
    // a replica dies while the leave streams: the coordinator's barrier fails, it rolls the leave back
    const victim = cluster.nodes.find((n) => n.id !== a.id && n.id !== leader)!;
    const { ctx } = contextFor(inventory, inv(a.id));
    const kill = new Promise<void>((r) => setTimeout(() => r(cluster!.kill(victim.id)), 300));
    const e = await new ScyllaDecommission({ pollIntervalSeconds: 0.1 }).execute(ctx).catch((x: unknown) => x);
    await kill;
    expect(e).toBeInstanceOf(UnrecoverableError);
    expect((e as UnrecoverableError).code).toBe('TOPOLOGY_REQUEST_FAILED');
    expect((e as Error).message).toMatch(/Rolled back: /);
    expect((e as Error).message).toContain(`coordinator ${leader} (host id ${cluster.node(leader).hostId})`);
    expect((e as UnrecoverableError).details).toMatchObject({ coordinator: { node: leader, hostId: cluster.node(leader).hostId, address: cluster.node(leader).address } });
    expect(topo.state(a.id)).toBe('normal');
  });
});
