import { describe, expect, it } from 'vitest';
import { SimShell } from '../src/index.js';
import { getJson, virtualCluster } from './helpers.js';

describe('repairs', () => {
  it('runs async repairs that take time, report RUNNING then SUCCESSFUL, and forget their ids after a restart', async () => {
    const { clock, cluster } = virtualCluster({ timing: { repairMs: 3000 } });
    const n = cluster.nodes[0]!.id;
    const start = await cluster.request(n, 'POST', '/storage_service/repair_async/ks1?primaryRange=true&parallelism=parallel');
    expect(start).toMatchObject({ status: 200, body: '1' });
    expect(await getJson(cluster, n, '/storage_service/repair_async/ks1?id=1')).toBe('RUNNING');
    expect(await getJson(cluster, n, '/storage_service/active_repair/')).toEqual([1]);
    await clock.advance(2999);
    expect(await getJson(cluster, n, '/storage_service/repair_async/ks1?id=1')).toBe('RUNNING');
    await clock.advance(1);
    expect(await getJson(cluster, n, '/storage_service/repair_async/ks1?id=1')).toBe('SUCCESSFUL');
    expect(await getJson(cluster, n, '/storage_service/active_repair/')).toEqual([]);
    expect((await cluster.request(n, 'POST', '/storage_service/repair_async/ks1?bogus=1')).body).toBe('{"message":"option bogus is not supported","code":400}');
    expect((await cluster.request(n, 'GET', '/storage_service/repair_async/ks1')).status).toBe(400);
    expect((await cluster.request(n, 'POST', '/storage_service/repair_async/nope')).status).toBe(400);
    // long-poll
    await cluster.request(n, 'POST', '/storage_service/repair_async/ks1');
    const polled = cluster.request(n, 'GET', '/storage_service/repair_status/?id=2&timeout=10');
    expect(JSON.parse((await clock.run(polled)).body)).toBe('SUCCESSFUL');
    expect(clock.now() - 1767225600000).toBe(6000);
    // a restart resets the sequence: the old id is unknown
    await clock.run(new SimShell(cluster, n).run(['systemctl', 'restart', 'scylla-server']));
    await clock.advance(5000);
    expect(await cluster.request(n, 'GET', '/storage_service/repair_async/ks1?id=2')).toMatchObject({ status: 400, body: '{"message":"unknown repair id 2","code":400}' });
    const log = cluster.oplog.entries({ node: n, actions: ['repair-start', 'repair-done'] });
    expect(log.map((e) => `${e.action}:${String(e.detail['id'])}:${String(e.detail['status'] ?? '')}`)).toEqual([
      'repair-start:1:',
      'repair-done:1:SUCCESSFUL',
      'repair-start:2:',
      'repair-done:2:SUCCESSFUL',
    ]);
  });

  it('fails a repair when a replica is down, and through the repair-failures fault', async () => {
    const { clock, cluster } = virtualCluster({ timing: { repairMs: 1000, failureDetectionDelayMs: 100 } });
    const a = cluster.nodes[0]!; // rack1
    const b = cluster.nodes[2]!; // rack2: shares every ks1 range with a (one replica per rack)
    cluster.kill(b.id);
    await clock.advance(200);
    await cluster.request(a!.id, 'POST', '/storage_service/repair_async/ks1');
    await clock.advance(1000);
    expect(await getJson(cluster, a!.id, '/storage_service/repair_async/ks1?id=1')).toBe('FAILED');
    const c = cluster.nodes[3]!;
    cluster.faults.inject({ kind: 'repair-failures', node: c.id, count: 1 });
    await cluster.request(c.id, 'POST', '/storage_service/repair_async/system_schema');
    await cluster.request(c.id, 'POST', '/storage_service/repair_async/system_schema');
    await clock.advance(1000);
    expect(await getJson(cluster, c.id, '/storage_service/repair_async/system_schema?id=1')).toBe('FAILED');
    expect(await getJson(cluster, c.id, '/storage_service/repair_async/system_schema?id=2')).toBe('SUCCESSFUL');
  });
});

describe('decommission and removenode', () => {
  it('decommissions a node: LEAVING (listed as leaving by peers), then DECOMMISSIONED and out of the ring', async () => {
    const { clock, cluster } = virtualCluster({ timing: { decommissionMs: 2000 } });
    const [a, b] = cluster.nodes;
    const ringBefore = (await getJson(cluster, b!.id, '/storage_service/tokens')) as string[];
    const done = cluster.request(a!.id, 'POST', '/storage_service/decommission');
    await clock.advance(10);
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('LEAVING');
    expect(await getJson(cluster, b!.id, '/storage_service/nodes/leaving')).toEqual([a!.address]);
    expect(cluster.scrape(a!.id)).toMatch(/^scylla_node_operation_mode\{shard="0"\} 4\.000000$/m);
    expect((await clock.run(done)).status).toBe(200);
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('DECOMMISSIONED');
    expect(await getJson(cluster, b!.id, '/storage_service/nodes/leaving')).toEqual([]);
    const ids = (await getJson(cluster, b!.id, '/storage_service/host_id')) as { key: string }[];
    expect(ids.map((e) => e.key)).not.toContain(a!.address);
    expect(ids).toHaveLength(5);
    expect(((await getJson(cluster, b!.id, '/storage_service/tokens')) as string[]).length).toBe(ringBefore.length - 16);
    const ring = (await getJson(cluster, b!.id, '/storage_service/describe_ring/ks1')) as { endpoints: string[] }[];
    expect(ring.every((r) => r.endpoints.length === 3 && !r.endpoints.includes(a!.address))).toBe(true);
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([]);
    // a decommissioned node never rejoins
    const shell = new SimShell(cluster, a!.id);
    await clock.run(shell.run(['systemctl', 'restart', 'scylla-server']));
    expect((await shell.run(['systemctl', 'is-active', 'scylla-server'])).stdout).toBe('failed\n');
  });

  it('refuses a decommission that would break a replication factor', async () => {
    const { cluster } = virtualCluster({ nodesPerZone: 1 });
    const r = await cluster.request(cluster.nodes[0]!.id, 'POST', '/storage_service/decommission');
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body).message).toMatch(/^std::runtime_error \(Decommission would leave 2 nodes in datacenter dc1, fewer than the replication factor 3 of keyspace ks1\)$/);
  });

  it('removes a dead node (and refuses to remove a live one)', async () => {
    const { clock, cluster } = virtualCluster({ timing: { failureDetectionDelayMs: 1000, removeNodeMs: 500 } });
    const [a, b] = cluster.nodes;
    const alive = await cluster.request(a!.id, 'POST', `/storage_service/remove_node?host_id=${b!.hostId}`);
    expect(alive.status).toBe(500);
    expect(JSON.parse(alive.body).message).toContain('the node being removed is alive');
    cluster.kill(b!.id);
    await clock.advance(1000);
    expect(await getJson(cluster, a!.id, '/gossiper/endpoint/down/')).toEqual([b!.address]);
    expect((await clock.run(cluster.request(a!.id, 'POST', `/storage_service/remove_node?host_id=${b!.hostId}`))).status).toBe(200);
    expect(await getJson(cluster, a!.id, '/gossiper/endpoint/down/')).toEqual([]);
    expect(((await getJson(cluster, a!.id, '/storage_service/host_id')) as { value: string }[]).map((e) => e.value)).not.toContain(b!.hostId);
    expect(cluster.oplog.entries({ node: b!.id, actions: ['removenode', 'removed'] }).map((e) => e.action)).toEqual(['removenode', 'removed']);
  });
});

describe('cleanup, flush, snapshots, schema', () => {
  it('cleans up synchronously (a CLEANUP compaction shows meanwhile), flushes, snapshots and reports schema agreement', async () => {
    const { clock, cluster } = virtualCluster({ timing: { cleanupMs: 1000 } });
    const n = cluster.nodes[0]!.id;
    const cleanup = cluster.request(n, 'POST', '/storage_service/keyspace_cleanup/ks1');
    await clock.advance(500);
    const running = (await getJson(cluster, n, '/compaction_manager/compactions')) as { task_type: string }[];
    expect(running.map((c) => c.task_type)).toEqual(['CLEANUP']);
    expect(await clock.run(cleanup)).toMatchObject({ status: 200, body: '0' });
    expect(await getJson(cluster, n, '/compaction_manager/compactions')).toEqual([]);
    expect((await clock.run(cluster.request(n, 'POST', '/storage_service/keyspace_flush/ks1'))).status).toBe(200);
    expect((await clock.run(cluster.request(n, 'POST', '/storage_service/snapshots?tag=s1&kn=ks1'))).status).toBe(200);
    const dup = await clock.run(cluster.request(n, 'POST', '/storage_service/snapshots?tag=s1&kn=ks1'));
    expect(dup).toMatchObject({ status: 500 });
    expect(JSON.parse(dup.body).message).toBe('std::runtime_error (Keyspace ks1: snapshot s1 already exists.)');
    const versions = (await getJson(cluster, n, '/storage_proxy/schema_versions')) as { key: string; value: string[] }[];
    expect(versions).toHaveLength(1);
    expect(versions[0]!.value).toHaveLength(6);
    cluster.faults.inject({ kind: 'schema-disagreement', node: cluster.nodes[3]!.id });
    expect(((await getJson(cluster, n, '/storage_proxy/schema_versions')) as unknown[]).length).toBe(2);
  });
});
