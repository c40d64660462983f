import { describe, expect, it } from 'vitest';
import { getJson, virtualCluster } from './helpers.js';

describe('drain cycle', () => {
  it('goes DRAINING then DRAINED, turns transport and gossip off, and peers see the node down at once (the drain announces it through gossip)', async () => {
    const { clock, cluster } = virtualCluster({ timing: { drainMs: 1000, failureDetectionDelayMs: 5000 } });
    const [a, b] = cluster.nodes;
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('NORMAL');
    expect(await getJson(cluster, a!.id, '/storage_service/native_transport')).toBe(true);
    expect(await getJson(cluster, a!.id, '/storage_service/gossiping')).toBe(true);

    const drained = cluster.request(a!.id, 'POST', '/storage_service/drain');
    await clock.advance(100);
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('DRAINING');
    expect(cluster.scrape(a!.id)).toMatch(/^scylla_node_operation_mode\{shard="0"\} 6\.000000$/m);
    const progress = (await getJson(cluster, a!.id, '/storage_service/drain')) as string;
    expect(progress).toMatch(/^Drained \d+\/\d+ ColumnFamilies$/);

    const reply = await clock.run(drained);
    expect(reply).toEqual({ status: 200, body: '', contentType: 'application/json' });
    expect(await getJson(cluster, a!.id, '/storage_service/operation_mode')).toBe('DRAINED');
    expect(await getJson(cluster, a!.id, '/storage_service/native_transport')).toBe(false);
    expect(await getJson(cluster, a!.id, '/storage_service/gossiping')).toBe(false);
    expect(await getJson(cluster, a!.id, '/storage_service/drain')).toMatch(/^Drained 0\/\d+ ColumnFamilies$/);
    expect(await getJson(cluster, a!.id, '/gossiper/endpoint/live/')).not.toContain(a!.address);
    const hostIds = await cluster.request(a!.id, 'GET', '/storage_service/host_id');
    expect(hostIds.status).toBe(500);
    expect(JSON.parse(hostIds.body)).toEqual({ message: 'std::runtime_error (The gossiper is not ready yet)', code: 500 });

    // gossip stopped 30% into the drain with a shutdown announcement: peers saw it down at once
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/live/')).not.toContain(a!.address);
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
    expect(cluster.scrape(b!.id)).toMatch(/^scylla_gossip_live\{shard="0"\} 4\.000000$/m);

    // a second drain on a DRAINED node returns at once
    const again = await cluster.request(a!.id, 'POST', '/storage_service/drain');
    expect(again.status).toBe(200);
    const log = cluster.oplog.entries({ node: a!.id }).map((e) => e.action);
    expect(log).toEqual(['drain', 'mode', 'native-transport-stop', 'gossip-stop', 'mode', 'drained', 'drain']);
  });
});
