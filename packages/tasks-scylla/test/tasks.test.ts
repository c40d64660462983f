import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyError, RecoverableError, UnrecoverableError, type ServiceProvider } from '@scylla-cp/core';
import {
  ClusterNormal,
  NodeShellService,
  NodeUpNormal,
  ScyllaDrain,
  ScyllaPendingCompactions,
  ScyllaSnapshot,
  SystemdServiceTask,
  UnlessNodeMode,
  type NodeShell,
} from '../src/index.js';
import { FakeShell } from './fake-shell.js';
import { json, nodeContext, StubScylla, stubNode } from './stub-scylla.js';

let stub: StubScylla;
let shell: FakeShell;
let env: ReturnType<typeof nodeContext>;
let mode: string;

function serveHealthyView() {
  stub
    .on('GET /storage_service/host_id', json([{ key: '127.0.0.1', value: 'h1' }, { key: '127.0.0.2', value: 'h2' }]))
    .on('GET /gossiper/endpoint/live/', json(['127.0.0.1', '127.0.0.2']))
    .on('GET /gossiper/endpoint/down/', json([]))
    .on('GET /storage_service/nodes/joining', json([]))
    .on('GET /storage_service/nodes/leaving', json([]))
    .on('GET /storage_service/nodes/moving', json([]))
    .on('GET /storage_service/nodes/excluded', json([]))
    .on('GET /storage_proxy/schema_versions', json([{ key: 'v1', value: ['127.0.0.1', '127.0.0.2'] }]));
}

beforeEach(async () => {
  stub = await StubScylla.start();
  mode = 'NORMAL';
  stub.on('GET /storage_service/operation_mode', () => json(mode));
  shell = new FakeShell();
  const node = stubNode('n1', stub.port, '127.0.0.1');
  const provider: ServiceProvider<NodeShell> = { key: NodeShellService, create: () => shell };
  env = nodeContext({ name: 'c', nodes: [node], connection: {} }, node, { providers: [provider] });
});
afterEach(async () => {
  await env.dispose();
  await stub.close();
});

describe('scylla-drain', () => {
  it('drains a NORMAL node and checks it is DRAINED', async () => {
    stub.on('POST /storage_service/drain', () => {
      mode = 'DRAINED';
      return { body: '' };
    });
    expect(await new ScyllaDrain().execute(env.ctx)).toEqual({ alreadyDrained: false });
    expect(stub.count('POST /storage_service/drain')).toBe(1);
  });

  it('is a no-op on a DRAINED node', async () => {
    mode = 'DRAINED';
    expect(await new ScyllaDrain().execute(env.ctx)).toEqual({ alreadyDrained: true });
    expect(stub.count('POST /storage_service/drain')).toBe(0);
  });

  it('refuses a node in another mode (unrecoverable)', async () => {
    mode = 'JOINING';
    const e = await new ScyllaDrain().execute(env.ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnrecoverableError);
    expect((e as UnrecoverableError).code).toBe('DRAIN_WRONG_MODE');
  });

  it('a drain that returns without DRAINED is recoverable', async () => {
    stub.on('POST /storage_service/drain', { body: '' });
    const e = await new ScyllaDrain().execute(env.ctx).catch((x: unknown) => x);
    expect((e as RecoverableError).code).toBe('DRAIN_INCOMPLETE');
    expect(classifyError(e)).toBe('recoverable');
  });

  it('its preconditions pass at once when the node is already DRAINED (resume)', async () => {
    mode = 'DRAINED';
    for (const check of new ScyllaDrain().preconditions()) {
      const r = await (check.condition as UnlessNodeMode).check(env.ctx);
      expect(r.ok).toBe(true);
      expect(r.detail).toContain('already DRAINED');
    }
  });
});

describe('cluster and node conditions', () => {
  it('cluster-normal holds when all are UN with schema agreement, and not when a node is down', async () => {
    serveHealthyView();
    expect((await new ClusterNormal().check(env.ctx)).ok).toBe(true);
    stub.on('GET /gossiper/endpoint/live/', json(['127.0.0.1'])).on('GET /gossiper/endpoint/down/', json(['127.0.0.2']));
    const r = await new ClusterNormal().check(env.ctx);
    expect(r).toMatchObject({ ok: false });
    expect(r.detail).toContain('127.0.0.2=DN');
  });

  it('cluster-normal fails on schema disagreement', async () => {
    serveHealthyView();
    stub.on('GET /storage_proxy/schema_versions', json([{ key: 'v1', value: ['127.0.0.1'] }, { key: 'v2', value: ['127.0.0.2'] }]));
    const r = await new ClusterNormal().check(env.ctx);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('2 versions');
  });

  it('node-up-normal needs NORMAL, UN in its own view and the CQL server up', async () => {
    serveHealthyView();
    stub.on('GET /storage_service/hostid/local', json('h1')).on('GET /storage_service/native_transport', json(false));
    expect(await new NodeUpNormal().check(env.ctx)).toEqual({ ok: false, detail: 'n1: mode NORMAL, status UN (127.0.0.1), native transport down' });
    stub.on('GET /storage_service/native_transport', json(true));
    expect((await new NodeUpNormal().check(env.ctx)).ok).toBe(true);
    mode = 'STARTING';
    expect(await new NodeUpNormal().check(env.ctx)).toEqual({ ok: false, detail: 'n1: operation mode STARTING' });
  });

  it('scylla-pending-compactions compares the REST estimate with max', async () => {
    stub
      .on('GET /compaction_manager/metrics/pending_tasks', json(42))
      .on('GET /compaction_manager/compactions', json([]))
      .on('GET /compaction_manager/metrics/pending_tasks_by_table', json([{ ks: 'ks1', cf: 't1', task: 40 }, { ks: 'ks1', cf: 't2', task: 2 }]));
    const r = await new ScyllaPendingCompactions(10).check(env.ctx);
    expect(r).toEqual({
      ok: false,
      detail: 'n1: pending compactions 42 > 10, running 0; top: ks1.t1=40, ks1.t2=2',
      progress: { measure: 'pending compactions', value: 42, better: 'lower' }, // issue 15: stall_timeout_seconds waits while it falls
    });
    expect((await new ScyllaPendingCompactions(42).check(env.ctx)).ok).toBe(true);
  });
});

describe('systemd tasks', () => {
  it('start makes the unit active; stop makes it inactive; both idempotent', async () => {
    shell.units.set('scylla-server', 'inactive');
    const start = new SystemdServiceTask({ tag: 'systemd-start-service', verb: 'start', service: 'scylla-server' });
    expect(await start.execute(env.ctx)).toEqual({ service: 'scylla-server', state: 'active' });
    expect(await start.execute(env.ctx)).toEqual({ service: 'scylla-server', state: 'active' });
    const stop = new SystemdServiceTask({ tag: 'systemd-stop-service', verb: 'stop', service: 'scylla-server' });
    expect((await stop.execute(env.ctx)).state).toBe('inactive');
    expect(shell.log.map((a) => a.join(' '))).toEqual([
      'systemctl start scylla-server',
      'systemctl is-active scylla-server',
      'systemctl start scylla-server',
      'systemctl is-active scylla-server',
      'systemctl stop scylla-server',
      'systemctl is-active scylla-server',
    ]);
  });

  it('an unknown unit is unrecoverable with a hint', async () => {
    const e = await new SystemdServiceTask({ tag: 'systemd-start-service', verb: 'start', service: 'nope' }).execute(env.ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnrecoverableError);
    expect((e as Error).message).toContain('no such unit');
  });

  it('a unit not active after start is recoverable', async () => {
    shell.units.set('scylla-server', 'inactive');
    shell.override = (argv) => (argv[1] === 'start' ? { exitCode: 0, stdout: '', stderr: '', truncated: false } : undefined);
    const e = await new SystemdServiceTask({ tag: 'systemd-start-service', verb: 'start', service: 'scylla-server' }).execute(env.ctx).catch((x: unknown) => x);
    expect((e as RecoverableError).code).toBe('SYSTEMD_STATE_MISMATCH');
  });

  it('rejects unit names that are not unit names', () => {
    expect(() => new SystemdServiceTask({ tag: 't', verb: 'stop', service: '--all' })).toThrow(/unit name/);
  });
});

describe('scylla-snapshot', () => {
  it('snapshots only the keyspaces still missing the tag; a no-op when complete', async () => {
    let snapshots: unknown[] = [{ key: 'pre-upgrade', value: [{ ks: 'ks1', cf: 't', total: 1, live: 0 }] }];
    stub
      .on('GET /storage_service/snapshots', () => json(snapshots))
      .on('POST /storage_service/snapshots', (q) => {
        snapshots = [{ key: 'pre-upgrade', value: (q.query.get('kn') ?? '').split(',').concat('ks1').map((ks) => ({ ks, cf: 't', total: 1, live: 0 })) }];
        return { body: '' };
      });
    const task = new ScyllaSnapshot({ tag: 'pre-upgrade', keyspaces: ['ks1', 'ks2'] });
    expect(await task.execute(env.ctx)).toEqual({ tag: 'pre-upgrade', snapshotted: ['ks2'] });
    expect(stub.requests.find((q) => q.method === 'POST')!.query.get('kn')).toBe('ks2');
    expect(await task.execute(env.ctx)).toEqual({ tag: 'pre-upgrade', snapshotted: [] });
    expect(stub.count('POST /storage_service/snapshots')).toBe(1);
  });
});
