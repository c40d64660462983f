import { RecoverableError } from '@scylla-cp/core';
import { describe, expect, it } from 'vitest';
import { SimConnectionError, SimShell } from '../src/index.js';
import { getJson, SEED, virtualCluster } from './helpers.js';

const fast = { drainMs: 1000, stopMs: 200, failureDetectionDelayMs: 500, compactionTaskMs: 500, restartCompactionBacklogPerShard: 3 };

describe('fault injection', () => {
  it('api-latency delays replies by the injected time (on the cluster clock)', async () => {
    const { clock, cluster } = virtualCluster();
    const n = cluster.nodes[0]!.id;
    const id = cluster.faults.inject({ kind: 'api-latency', node: n, delayMs: 750, pathPrefix: '/storage_service' });
    const t0 = clock.now();
    await clock.run(cluster.request(n, 'GET', '/storage_service/operation_mode'));
    expect(clock.now() - t0).toBe(750);
    const t1 = clock.now();
    await clock.run(cluster.request(n, 'GET', '/gossiper/endpoint/live/'));
    expect(clock.now() - t1).toBe(0);
    expect(cluster.faults.clear(id)).toBe(true);
  });

  it('api-errors: a burst of N 5xx replies, or a seeded probability', async () => {
    const { cluster } = virtualCluster();
    const n = cluster.nodes[0]!.id;
    cluster.faults.inject({ kind: 'api-errors', node: n, count: 3, status: 500 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await cluster.request(n, 'GET', '/storage_service/operation_mode')).status);
    expect(statuses).toEqual([500, 500, 500, 200, 200]);
    expect(cluster.faults.list(n)).toEqual([]);

    const pattern = async () => {
      const { cluster: c } = virtualCluster();
      c.faults.inject({ kind: 'api-errors', node: n, probability: 0.5, status: 503 });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await c.request(n, 'GET', '/storage_service/operation_mode')).status);
      return out;
    };
    const p1 = await pattern();
    expect(await pattern()).toEqual(p1); // same seed, same failures
    const fails = p1.filter((s) => s === 503).length;
    expect(fails).toBeGreaterThan(5);
    expect(fails).toBeLessThan(35);
    expect(SEED).toBeTypeOf('number');
  });

  it('refuse-connections closes the REST listener until cleared', async () => {
    const { cluster } = virtualCluster();
    const n = cluster.nodes[0]!.id;
    const id = cluster.faults.inject({ kind: 'refuse-connections', node: n });
    await expect(cluster.request(n, 'GET', '/system/uptime_ms')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(cluster.scrape(n)).toContain('scylla_node_operation_mode');
    cluster.faults.clear(id);
    expect((await cluster.request(n, 'GET', '/system/uptime_ms')).status).toBe(200);
  });

  it('never-return crash: systemctl start fails and the unit is failed; stuck: the node stays JOINING without CQL', async () => {
    const { clock, cluster } = virtualCluster({ timing: fast });
    const [a, b] = cluster.nodes;
    cluster.faults.inject({ kind: 'never-return', node: a!.id });
    const sa = new SimShell(cluster, a!.id);
    await clock.run(sa.run(['systemctl', 'stop', 'scylla-server']));
    const r = await clock.run(sa.run(['systemctl', 'start', 'scylla-server']));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Job for scylla-server.service failed');
    expect(await sa.run(['systemctl', 'is-active', 'scylla-server'])).toMatchObject({ exitCode: 3, stdout: 'failed\n' });
    await expect(cluster.request(a!.id, 'GET', '/storage_service/operation_mode')).rejects.toBeInstanceOf(SimConnectionError);

    cluster.faults.inject({ kind: 'never-return', node: b!.id, mode: 'stuck' });
    const sb = new SimShell(cluster, b!.id);
    expect((await clock.run(sb.run(['systemctl', 'restart', 'scylla-server']))).exitCode).toBe(0);
    await clock.advance(600_000);
    expect(await getJson(cluster, b!.id, '/storage_service/operation_mode')).toBe('JOINING');
    expect((await cluster.request(b!.id, 'GET', '/storage_service/native_transport')).status).toBe(404);
  });

  it('compactions-never-settle keeps the backlog until cleared', async () => {
    const { clock, cluster } = virtualCluster({ timing: fast });
    const n = cluster.nodes[0]!;
    cluster.faults.inject({ kind: 'compactions-never-settle', node: n.id });
    await clock.run(new SimShell(cluster, n.id).run(['systemctl', 'restart', 'scylla-server']));
    await clock.advance(3_600_000);
    const stuck = (await getJson(cluster, n.id, '/compaction_manager/metrics/pending_tasks')) as number;
    expect(stuck).toBeGreaterThan(0);
    cluster.faults.clearAll(n.id);
    await clock.advance(10_000);
    expect(await getJson(cluster, n.id, '/compaction_manager/metrics/pending_tasks')).toBe(0);
  });

  it('die-during drain: the drain request is reset, the unit failed, peers see the node down', async () => {
    const { clock, cluster } = virtualCluster({ timing: fast });
    const [a, b] = cluster.nodes;
    cluster.faults.inject({ kind: 'die-during', node: a!.id, operation: 'drain', afterMs: 400 });
    await expect(clock.run(cluster.request(a!.id, 'POST', '/storage_service/drain'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(clock.now() - 1767225600000).toBe(400);
    expect((await new SimShell(cluster, a!.id).run(['systemctl', 'is-active', 'scylla-server'])).stdout).toBe('failed\n');
    await clock.advance(500);
    expect(await getJson(cluster, b!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
    expect(cluster.oplog.entries({ node: a!.id, actions: ['killed'] })[0]!.detail).toMatchObject({ reason: 'died during drain' });
  });

  it('kill-on: a second node goes down when the first is drained (host power-off makes its shell unreachable)', async () => {
    const { clock, cluster } = virtualCluster({ timing: fast });
    const [a, , c] = cluster.nodes;
    cluster.faults.inject({ kind: 'kill-on', node: c!.id, trigger: { node: a!.id, action: 'drained' }, delayMs: 100, host: true });
    await clock.run(cluster.request(a!.id, 'POST', '/storage_service/drain'));
    await clock.advance(100);
    const killed = cluster.oplog.entries({ node: c!.id, actions: ['killed'] });
    expect(killed).toHaveLength(1);
    expect(killed[0]!.atMs - cluster.oplog.entries({ node: a!.id, actions: ['drained'] })[0]!.atMs).toBe(100);
    await expect(new SimShell(cluster, c!.id).run(['systemctl', 'is-active', 'scylla-server'])).rejects.toBeInstanceOf(RecoverableError);
    await clock.advance(1000);
    expect(await getJson(cluster, cluster.nodes[5]!.id, '/gossiper/endpoint/down/')).toEqual([a!.address, c!.address].sort());
    cluster.powerOn(c!.id);
    await clock.advance(5000);
    expect(await getJson(cluster, c!.id, '/storage_service/operation_mode')).toBe('NORMAL');
    expect(await getJson(cluster, cluster.nodes[5]!.id, '/gossiper/endpoint/down/')).toEqual([a!.address]);
  });

  it('a scylla.yaml that does not parse makes the next start fail', async () => {
    const { clock, cluster } = virtualCluster({ timing: fast });
    const sh = new SimShell(cluster, cluster.nodes[0]!.id);
    await sh.run(['tee', '/etc/scylla/scylla.yaml'], { stdin: 'cluster_name: [unclosed\n' });
    const r = await clock.run(sh.run(['systemctl', 'restart', 'scylla-server']));
    expect(r.exitCode).toBe(1);
    const failed = cluster.oplog.entries({ actions: ['start-failed'] });
    expect(String(failed[0]!.detail['reason'])).toMatch(/^configuration error: \/etc\/scylla\/scylla.yaml/);
  });
});

describe('host operations through the shell', () => {
  it('upgrades packages (taking time) and reboots: the shell drops, the host comes back and scylla starts', async () => {
    const { clock, cluster } = virtualCluster({ timing: { ...fast, rebootMs: 4000, packageUpgradeMs: 2000 } });
    const n = cluster.nodes[0]!;
    const sh = new SimShell(cluster, n.id);
    const t0 = clock.now();
    expect(await clock.run(sh.run(['sudo', '-n', 'apt-get', '-y', '-o', 'Dpkg::Options::=--force-confold', 'dist-upgrade']))).toMatchObject({ exitCode: 0 });
    expect(clock.now() - t0).toBe(2000);
    const r = await sh.run(['sudo', '-n', 'systemctl', 'reboot']);
    expect(r).toMatchObject({ exitCode: 255, stderr: `Connection to ${n.address} closed by remote host.\n` });
    await expect(sh.run(['systemctl', 'is-active', 'scylla-server'])).rejects.toMatchObject({ code: 'SHELL_UNREACHABLE' });
    await clock.advance(4000 + cluster.timing.nativeTransportMs);
    expect(await getJson(cluster, n.id, '/storage_service/operation_mode')).toBe('NORMAL');
    expect(cluster.oplog.entries({ node: n.id, actor: 'shell' }).map((e) => e.action)).toEqual(['package-upgrade', 'reboot']);
  });
});
