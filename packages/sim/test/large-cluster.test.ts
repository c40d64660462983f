import { ServiceRegistry, type ClusterInventory, type InventoryNode } from '@scylla-cp/core';
import { NodeShellService } from '@scylla-cp/tasks-scylla';
import { describe, expect, it } from 'vitest';
import { SimShell, simShellProvider } from '../src/index.js';
import { getJson, virtualCluster } from './helpers.js';

describe('in-process mode on a VirtualClock', () => {
  it('runs a 300-node cluster: rolling restarts of a zone slice with every node answering from its own view', async () => {
    const { clock, cluster } = virtualCluster({
      datacenters: [{ name: 'dc1', zones: ['a', 'b', 'c'] }],
      nodesPerZone: 100,
      tokensPerNode: 8,
    });
    expect(cluster.nodes).toHaveLength(300);
    const viewer = cluster.nodes[299]!.id;
    expect(((await getJson(cluster, viewer, '/gossiper/endpoint/live/')) as string[]).length).toBe(300);
    const ring = (await getJson(cluster, viewer, '/storage_service/describe_ring/ks1')) as { endpoints: string[]; endpoint_details: { rack: string }[] }[];
    expect(ring).toHaveLength(2400);
    // NetworkTopologyStrategy with 3 racks and RF 3: one replica per rack
    expect(ring.every((r) => new Set(r.endpoint_details.map((d) => d.rack)).size === 3)).toBe(true);

    const restarted = cluster.nodes.filter((n) => n.zone === 'a').slice(0, 20);
    await clock.run(async () => {
      for (const n of restarted) {
        await cluster.drain(n.id);
        const sh = new SimShell(cluster, n.id);
        expect((await sh.run(['systemctl', 'stop', 'scylla-server'])).exitCode).toBe(0);
        expect((await sh.run(['systemctl', 'start', 'scylla-server'])).exitCode).toBe(0);
        // poll like a condition would, until UN with CQL up, then until compactions settle
        for (;;) {
          const r = await cluster.request(n.id, 'GET', '/storage_service/native_transport');
          if (r.status === 200 && r.body === 'true') break;
          await clock.sleep(1000);
        }
        while ((await getJson(cluster, n.id, '/compaction_manager/metrics/pending_tasks')) !== 0) await clock.sleep(1000);
      }
    });
    const log = cluster.oplog.entries();
    for (let i = 0; i < restarted.length; i++) {
      const id = restarted[i]!.id;
      const acts = log.filter((e) => e.node === id && e.actor !== 'sim').map((e) => e.action);
      expect(acts).toEqual(['drain', 'mode', 'systemctl-stop', 'systemctl-start']);
      if (i > 0) {
        const prevSettled = log.find((e) => e.node === restarted[i - 1]!.id && e.action === 'compactions-settled')!;
        const drain = log.find((e) => e.node === id && e.action === 'drain')!;
        expect(prevSettled.seq).toBeLessThan(drain.seq);
      }
    }
    expect(((await getJson(cluster, viewer, '/gossiper/endpoint/down/')) as string[]).length).toBe(0);
  });

  it('provides the SimShell of each node through NodeShellService', async () => {
    const { cluster } = virtualCluster();
    const registry = new ServiceRegistry().provide(simShellProvider(cluster));
    const node = cluster.nodes[2]!;
    const invNode: InventoryNode = { id: node.id, address: node.address, dc: node.dc, rack: node.rack, zone: node.zone, labels: {}, connection: {} };
    const inventory: ClusterInventory = { name: 'x', nodes: [invNode], connection: {} };
    const services = registry.bind({
      inventory,
      node: invNode,
      job: { id: 'job-1' } as never,
      clock: cluster.clock,
      signal: new AbortController().signal,
    });
    const shell = services.get(NodeShellService);
    expect(shell).toBeInstanceOf(SimShell);
    expect((await shell.run(['cat', '/etc/scylla/cassandra-rackdc.properties'])).stdout).toBe(`dc=${node.dc}\nrack=${node.rack}\nprefer_local=true\n`);
    const atCluster = registry.bind({ inventory, job: { id: 'job-1' } as never, clock: cluster.clock, signal: new AbortController().signal });
    expect(() => atCluster.get(NodeShellService)).toThrow(/node scope/);
  });

  it('follows the scylla-config-set command sequence, keeping a backup', async () => {
    const { cluster } = virtualCluster();
    const sh = new SimShell(cluster, cluster.nodes[0]!.id);
    const p = '/etc/scylla/scylla.yaml';
    const original = (await sh.run(['cat', p])).stdout;
    expect((await sh.run(['cp', '-p', p, `${p}.scylla-cp-job_1.bak`])).exitCode).toBe(0);
    expect((await sh.run(['cp', '-p', p, `${p}.scylla-cp.tmp`])).exitCode).toBe(0);
    const next = original.replace('compaction_static_shares: 0', 'compaction_static_shares: 100');
    expect((await sh.run(['tee', `${p}.scylla-cp.tmp`], { stdin: new TextEncoder().encode(next) })).stdout).toBe(next);
    expect((await sh.run(['cat', `${p}.scylla-cp.tmp`])).stdout).toBe(next);
    expect((await sh.run(['sync'])).exitCode).toBe(0);
    expect((await sh.run(['mv', '-f', `${p}.scylla-cp.tmp`, p])).exitCode).toBe(0);
    expect((await sh.run(['cat', p])).stdout).toBe(next);
    expect((await sh.run(['cat', `${p}.scylla-cp-job_1.bak`])).stdout).toBe(original);
    expect(await sh.run(['cat', `${p}.scylla-cp.tmp`])).toMatchObject({ exitCode: 1, stderr: `cat: ${p}.scylla-cp.tmp: No such file or directory\n` });
    const writes = cluster.oplog.entries({ actions: ['config-write'] }).map((e) => e.detail['path']);
    expect(writes).toEqual([`${p}.scylla-cp-job_1.bak`, `${p}.scylla-cp.tmp`, `${p}.scylla-cp.tmp`, p]);
  });
});

describe('in-process transports', () => {
  it('simRequestPool answers like an undici Pool, with ECONNREFUSED codes and clock-measured header timeouts', async () => {
    const { clock, cluster } = virtualCluster();
    const { simRequestPool } = await import('../src/index.js');
    const n = cluster.nodes[0]!.id;
    const pool = simRequestPool(cluster, n);
    const r = await pool.request({ method: 'GET', path: '/storage_service/operation_mode' });
    expect(r.statusCode).toBe(200);
    expect(await r.body.text()).toBe('"NORMAL"');
    cluster.faults.inject({ kind: 'api-latency', node: n, delayMs: 10_000 });
    await expect(clock.run(pool.request({ method: 'GET', path: '/system/uptime_ms', headersTimeout: 2000 }))).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    cluster.faults.clearAll();
    cluster.kill(n);
    await expect(pool.request({ method: 'GET', path: '/system/uptime_ms' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(cluster.scrapeTargets()[0]).toMatchObject({ nodeId: n, instance: `${cluster.nodes[0]!.address}:9180` });
    expect(cluster.scrapeTargets()[0]!.scrape()).toBeUndefined();
    expect(cluster.scrapeTargets()[1]!.scrape()).toContain('scylla_gossip_live');
  });
});
