import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecoverableError, UnrecoverableError } from '@scylla-cp/core';
import { ScyllaCleanup, ScyllaDecommission, ScyllaRemoveNode } from '../src/index.js';
import { FastClock, json, nodeContext, StubScylla, stubNode } from './stub-scylla.js';

let stub: StubScylla;
let clock: FastClock;
let env: ReturnType<typeof nodeContext>;
let mode: string;
const DEAD = '00000000-0000-0000-0000-000000000002';

beforeEach(async () => {
  stub = await StubScylla.start();
  clock = new FastClock();
  mode = 'NORMAL';
  stub.on('GET /storage_service/operation_mode', () => json(mode));
  const node = stubNode('n1', stub.port, '127.0.0.1');
  env = nodeContext({ name: 'c', nodes: [node], connection: {} }, node, { clock });
});
afterEach(async () => {
  await env.dispose();
  await stub.close();
});

function view(rows: { ip: string; id: string; up: boolean }[]) {
  stub
    .on('GET /storage_service/host_id', () => json(rows.map((r) => ({ key: r.ip, value: r.id }))))
    .on('GET /gossiper/endpoint/live/', () => json(rows.filter((r) => r.up).map((r) => r.ip)))
    .on('GET /gossiper/endpoint/down/', () => json(rows.filter((r) => !r.up).map((r) => r.ip)))
    .on('GET /storage_service/nodes/joining', json([]))
    .on('GET /storage_service/nodes/leaving', json([]))
    .on('GET /storage_service/nodes/moving', json([]))
    .on('GET /storage_service/nodes/excluded', json([]));
}

describe('scylla-decommission', () => {
  it('decommissions a serving NORMAL node once', async () => {
    stub.on('GET /storage_service/native_transport', json(true)).on('POST /storage_service/decommission', () => {
      mode = 'DECOMMISSIONED';
      return { body: '' };
    });
    expect(await new ScyllaDecommission().execute(env.ctx)).toEqual({ alreadyDecommissioned: false });
    expect(await new ScyllaDecommission().execute(env.ctx)).toEqual({ alreadyDecommissioned: true });
    expect(stub.count('POST /storage_service/decommission')).toBe(1);
  });

  it('on resume waits for a LEAVING node without a second POST', async () => {
    mode = 'LEAVING';
    let polls = 0;
    stub.on('GET /storage_service/operation_mode', () => json(++polls >= 3 ? 'DECOMMISSIONED' : 'LEAVING'));
    expect(await new ScyllaDecommission({ pollIntervalSeconds: 20 }).execute(env.ctx)).toEqual({ alreadyDecommissioned: false });
    expect(stub.count('POST /storage_service/decommission')).toBe(0);
    expect(clock.sleeps).toEqual([20_000, 20_000]);
  });

  it('refuses a DRAINED node; defers a NORMAL node without CQL', async () => {
    mode = 'DRAINED';
    expect(await new ScyllaDecommission().execute(env.ctx).catch((e: unknown) => e)).toBeInstanceOf(UnrecoverableError);
    mode = 'NORMAL';
    stub.on('GET /storage_service/native_transport', json(false));
    expect(((await new ScyllaDecommission().execute(env.ctx).catch((e: unknown) => e)) as RecoverableError).code).toBe('NODE_NOT_SERVING');
  });
});

describe('scylla-removenode', () => {
  it('removes a dead node, then is a no-op', async () => {
    let rows = [
      { ip: '127.0.0.1', id: '00000000-0000-0000-0000-000000000001', up: true },
      { ip: '127.0.0.2', id: DEAD, up: false },
    ];
    view(rows);
    stub.on('GET /storage_service/host_id', () => json(rows.map((r) => ({ key: r.ip, value: r.id }))));
    stub.on('GET /gossiper/endpoint/down/', () => json(rows.filter((r) => !r.up).map((r) => r.ip)));
    stub.on('POST /storage_service/remove_node', (q) => {
      rows = rows.filter((r) => r.id !== q.query.get('host_id'));
      return { body: '' };
    });
    const task = new ScyllaRemoveNode({ hostId: DEAD });
    expect(await task.execute(env.ctx)).toEqual({ alreadyRemoved: false, coordinator: 'n1' });
    expect(await task.execute(env.ctx)).toEqual({ alreadyRemoved: true, coordinator: 'n1' });
    expect(stub.count('POST /storage_service/remove_node')).toBe(1);
  });

  it('refuses to remove a live node', async () => {
    view([{ ip: '127.0.0.2', id: DEAD, up: true }]);
    const e = await new ScyllaRemoveNode({ hostId: DEAD }).execute(env.ctx).catch((x: unknown) => x);
    expect((e as UnrecoverableError).code).toBe('REMOVENODE_NODE_ALIVE');
  });
});

describe('scylla-cleanup', () => {
  it('waits for a cleanup of the keyspace already running, then runs its own', async () => {
    let polls = 0;
    stub
      .on('GET /compaction_manager/compactions', () =>
        json(polls++ < 2 ? [{ id: 'x', ks: 'ks1', cf: 't', completed: 1, total: 9, task_type: 'CLEANUP', unit: 'keys' }] : []),
      )
      .on('POST /storage_service/keyspace_cleanup/ks1', json(0));
    await new ScyllaCleanup({ keyspace: 'ks1', pollIntervalSeconds: 7 }).execute(env.ctx);
    expect(clock.sleeps).toEqual([7000, 7000]);
    expect(stub.count('POST /storage_service/keyspace_cleanup/ks1')).toBe(1);
  });
});

describe('scylla-removenode resume', () => {
  it('waits for a removal already in progress (DL) without a second POST', async () => {
    let polls = 0;
    const rows = () => (polls++ < 2 ? [{ ip: '127.0.0.2', id: DEAD, up: false }] : []);
    view([]);
    let current = rows();
    stub
      .on('GET /storage_service/host_id', () => json(current.map((r) => ({ key: r.ip, value: r.id }))))
      .on('GET /gossiper/endpoint/live/', json(['127.0.0.1']))
      .on('GET /gossiper/endpoint/down/', () => json(current.map((r) => r.ip)))
      .on('GET /storage_service/nodes/leaving', () => {
        const l = json(current.map((r) => r.ip));
        current = rows();
        return l;
      });
    const r = await new ScyllaRemoveNode({ hostId: DEAD, pollIntervalSeconds: 3 }).execute(env.ctx);
    expect(r).toEqual({ alreadyRemoved: false, coordinator: 'n1' });
    expect(stub.count('POST /storage_service/remove_node')).toBe(0);
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(clock.sleeps.every((s) => s === 3000)).toBe(true);
  });
});
