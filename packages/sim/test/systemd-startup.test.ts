import { describe, expect, it } from 'vitest';
import { SimConnectionError, SimShell } from '../src/index.js';
import { getJson, virtualCluster } from './helpers.js';

const timing = {
  stopMs: 500,
  apiListenMs: 200,
  tokenMetadataMs: 400,
  compactionGroupMs: 600,
  storageServiceMs: 800,
  joiningMs: 1000,
  normalMs: 2000,
  nativeTransportMs: 2500,
  restartCompactionBacklogPerShard: 4,
  compactionTaskMs: 1000,
};

describe('emulated systemd', () => {
  it('stops the node (connections refused) and starts it through STARTING/JOINING to NORMAL, API groups answering 404 until registered, native transport last', async () => {
    const { clock, cluster } = virtualCluster({ timing, shardsPerNode: 2 });
    const node = cluster.nodes[0]!;
    const shell = new SimShell(cluster, node.id);
    expect(await shell.run(['systemctl', 'is-active', 'scylla-server'])).toEqual({ exitCode: 0, stdout: 'active\n', stderr: '', truncated: false });

    const stopped = await clock.run(shell.run(['sudo', '-n', 'systemctl', 'stop', 'scylla-server.service']));
    expect(stopped.exitCode).toBe(0);
    expect((await shell.run(['systemctl', 'is-active', 'scylla-server'])).stdout).toBe('inactive\n');
    await expect(cluster.request(node.id, 'GET', '/storage_service/operation_mode')).rejects.toBeInstanceOf(SimConnectionError);
    expect(() => cluster.scrape(node.id)).toThrow(SimConnectionError);

    const t0 = clock.now();
    let startReturnedAt = -1;
    const start = shell.run(['systemctl', 'start', 'scylla-server']).then((r) => {
      startReturnedAt = clock.now() - t0;
      return r;
    });
    await clock.advance(0);
    expect((await shell.run(['systemctl', 'is-active', 'scylla-server'])).stdout).toBe('activating\n');
    await expect(cluster.request(node.id, 'GET', '/system/uptime_ms')).rejects.toThrow(/ECONNREFUSED/);

    await clock.advance(250); // t=250: API listening, early groups only
    expect((await cluster.request(node.id, 'GET', '/system/uptime_ms')).status).toBe(200);
    expect(await cluster.request(node.id, 'GET', '/storage_service/operation_mode')).toMatchObject({ status: 404, body: '{"message":"Not found","code":404}' });
    expect((await cluster.request(node.id, 'GET', '/storage_service/hostid/local')).status).toBe(404);
    expect(cluster.scrape(node.id)).toMatch(/^scylla_node_operation_mode\{shard="0"\} 1\.000000$/m);

    await clock.advance(200); // t=450: token_metadata, gossiper
    expect(await getJson(cluster, node.id, '/storage_service/hostid/local')).toBe(node.hostId);
    expect((await cluster.request(node.id, 'GET', '/compaction_manager/compactions')).status).toBe(404);

    await clock.advance(400); // t=850: storage_service registered, READY=1
    expect(await getJson(cluster, node.id, '/storage_service/operation_mode')).toBe('STARTING');
    expect(await getJson(cluster, node.id, '/storage_service/is_starting')).toBe(true);
    expect((await cluster.request(node.id, 'GET', '/storage_service/native_transport')).status).toBe(404);
    expect(await start).toMatchObject({ exitCode: 0 });
    expect(startReturnedAt).toBe(800);

    await clock.advance(200); // t=1050: JOINING
    expect(await getJson(cluster, node.id, '/storage_service/operation_mode')).toBe('JOINING');
    await clock.advance(1000); // t=2050: NORMAL, transport not yet up
    expect(await getJson(cluster, node.id, '/storage_service/operation_mode')).toBe('NORMAL');
    expect((await cluster.request(node.id, 'GET', '/storage_service/native_transport')).status).toBe(404);
    await clock.advance(500); // t=2550: serving
    expect(await getJson(cluster, node.id, '/storage_service/native_transport')).toBe(true);

    const modes = cluster.oplog.entries({ node: node.id, actions: ['mode'] }).map((e) => e.detail['mode']);
    expect(modes).toEqual(['STARTING', 'JOINING', 'NORMAL']);
    const seq = cluster.oplog.entries({ node: node.id }).map((e) => e.action);
    expect(seq.indexOf('started')).toBeLessThan(seq.indexOf('serving'));
    expect(seq.lastIndexOf('native-transport-start')).toBeGreaterThan(seq.lastIndexOf('mode'));
  });

  it('has a compaction backlog after a restart that drains over time (REST and metrics agree)', async () => {
    const { clock, cluster } = virtualCluster({ timing, shardsPerNode: 2 });
    const node = cluster.nodes[1]!;
    const shell = new SimShell(cluster, node.id);
    expect(await getJson(cluster, node.id, '/compaction_manager/metrics/pending_tasks')).toBe(0);
    await clock.run(shell.run(['systemctl', 'restart', 'scylla-server']));
    await clock.advance(2000); // NORMAL reached
    const pending0 = (await getJson(cluster, node.id, '/compaction_manager/metrics/pending_tasks')) as number;
    expect(pending0).toBeGreaterThan(0);
    const running = (await getJson(cluster, node.id, '/compaction_manager/compactions')) as { task_type: string; unit: string }[];
    expect(running.length).toBe(2);
    expect(running[0]).toMatchObject({ task_type: 'COMPACTION', unit: 'keys' });
    expect(cluster.scrape(node.id)).toMatch(/^scylla_compaction_manager_compactions\{shard="1"\} 1\.000000$/m);
    const pendingMetric = () =>
      [...cluster.scrape(node.id).matchAll(/^scylla_compaction_manager_pending_compactions\{shard="\d+"\} (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(pendingMetric()).toBeGreaterThan(0);
    let last = pending0;
    for (let i = 0; i < 10; i++) {
      await clock.advance(1000);
      const p = (await getJson(cluster, node.id, '/compaction_manager/metrics/pending_tasks')) as number;
      expect(p).toBeLessThanOrEqual(last);
      last = p;
    }
    expect(last).toBe(0);
    expect(pendingMetric()).toBe(0);
    expect(cluster.oplog.entries({ node: node.id, actions: ['compactions-settled'] })).toHaveLength(1);
  });

  it('answers systemd-like errors for unknown units and verbs, and 127 for unknown commands', async () => {
    const { cluster } = virtualCluster();
    const shell = new SimShell(cluster, cluster.nodes[0]!.id);
    expect(await shell.run(['systemctl', 'start', 'nope'])).toMatchObject({ exitCode: 5, stderr: 'Failed to start nope: Unit nope.service not found.\n' });
    expect(await shell.run(['systemctl', 'is-active', 'nope'])).toMatchObject({ exitCode: 3 });
    expect(await shell.run(['frobnicate', '--now'])).toMatchObject({ exitCode: 127, stderr: 'bash: frobnicate: command not found\n' });
    expect(await shell.run(['systemctl', 'stop', 'scylla-node-exporter'])).toMatchObject({ exitCode: 0 });
    expect(await shell.run(['systemctl', 'is-active', 'scylla-node-exporter'])).toMatchObject({ exitCode: 3, stdout: 'inactive\n' });
  });
});
