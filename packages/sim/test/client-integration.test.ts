import { ScyllaApiClient, ScyllaApiError, ScyllaApiUnavailableError } from '@scylla-cp/tasks-scylla';
import { afterEach, describe, expect, it } from 'vitest';
import { SimCluster, simRequestPool } from '../src/index.js';
import { SEED, virtualCluster } from './helpers.js';

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('the tasks-scylla REST client against the simulator', () => {
  it('over HTTP: decodes every view it needs, and classifies refused connections and 5xx as recoverable', async () => {
    cluster = new SimCluster({ seed: SEED, timeScale: 0.02, timing: { repairMs: 500_000 } });
    await cluster.start();
    const [a, b] = cluster.nodes;
    const client = (id: string) => new ScyllaApiClient({ host: '127.0.0.1', port: cluster!.ports(id).api });
    const ca = client(a!.id);
    const cb = client(b!.id);
    try {
      expect(await ca.operationMode()).toBe('NORMAL');
      expect(await ca.localHostId()).toBe(a!.hostId);
      const view = await ca.nodeStatus();
      expect(view.rows.map((r) => r.code)).toEqual(Array(6).fill('UN'));
      expect((await ca.describeRing('ks1')).length).toBe(6 * 16);
      expect((await ca.schemaVersions()).length).toBe(1);
      const id = await ca.repairAsync('ks1');
      expect(id).toBe(1);
      expect(await ca.repairStatus('ks1', id)).toBe('RUNNING');
      expect((await ca.moduleTasks('repair', { keyspace: 'ks1' })).map((t) => [t.sequenceNumber, t.state])).toEqual([[1, 'running']]);
      await ca.drain();
      expect(await ca.operationMode()).toBe('DRAINED');
      expect((await ca.drainProgress()).remaining).toBe(0);
      await expect(ca.hostIdMap()).rejects.toBeInstanceOf(ScyllaApiUnavailableError);
      await expect(ca.repairStatus('ks1', 9)).rejects.toBeInstanceOf(ScyllaApiError);
      cluster.kill(a!.id);
      await new Promise((r) => setTimeout(r, 200));
      await expect(ca.operationMode()).rejects.toMatchObject({ code: 'SCYLLA_API_UNREACHABLE' });
      const seen = await cb.nodeStatus();
      expect(seen.rows.find((r) => r.address === a!.address)?.code).toBe('DN');
    } finally {
      await ca.close();
      await cb.close();
    }
  });

  it('in-process through simRequestPool on a VirtualClock', async () => {
    const { clock, cluster: c } = virtualCluster();
    const n = c.nodes[0]!;
    const api = new ScyllaApiClient({ host: n.address, pool: simRequestPool(c, n.id) });
    expect(await api.nativeTransport()).toBe(true);
    await clock.run(api.drain());
    expect(await api.operationMode()).toBe('DRAINED');
    c.faults.inject({ kind: 'api-errors', node: n.id, count: 1, status: 503 });
    await expect(api.uptimeMs()).rejects.toMatchObject({ code: 'SCYLLA_API_SERVER_ERROR' });
    expect(await api.uptimeMs()).toBeGreaterThan(0);
  });
});
