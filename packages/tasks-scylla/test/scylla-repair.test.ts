import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyError, RecoverableError, UnrecoverableError } from '@scylla-cp/core';
import { ScyllaRepair } from '../src/index.js';
import { FastClock, json, nodeContext, scyllaError, StubScylla, stubNode } from './stub-scylla.js';

let stub: StubScylla;
let clock: FastClock;
let env: ReturnType<typeof nodeContext>;

beforeEach(async () => {
  stub = await StubScylla.start();
  clock = new FastClock();
  const node = stubNode('n1', stub.port);
  env = nodeContext({ name: 'c', nodes: [node], connection: {} }, node, { clock });
});
afterEach(async () => {
  await env.dispose();
  await stub.close();
});

/** Status replies in order; the last repeats. */
function statuses(...seq: string[]) {
  let i = 0;
  return () => json(seq[Math.min(i++, seq.length - 1)]);
}

describe('scylla-repair', () => {
  it('starts a repair when none runs, polls on the job clock until SUCCESSFUL', async () => {
    stub
      .on('GET /storage_service/active_repair/', json([]))
      .on('POST /storage_service/repair_async/ks1', json(5))
      .on('GET /storage_service/repair_async/ks1', statuses('RUNNING', 'RUNNING', 'SUCCESSFUL'));
    const r = await new ScyllaRepair({ keyspace: 'ks1', tables: ['t1'], primaryRange: true, pollIntervalSeconds: 30 }).execute(env.ctx);
    expect(r).toEqual({ id: 5, origin: 'started', status: 'SUCCESSFUL' });
    expect(stub.count('POST /storage_service/repair_async/ks1')).toBe(1);
    const post = stub.requests.find((q) => q.method === 'POST')!;
    expect(post.query.get('columnFamilies')).toBe('t1');
    expect(post.query.get('primaryRange')).toBe('true');
    expect(stub.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/storage_service/repair_async/')).every((q) => q.query.get('id') === '5')).toBe(true);
    expect(clock.sleeps).toEqual([30_000, 30_000]);
  });

  it('on resume attaches to the repair of the keyspace already running instead of starting another', async () => {
    stub
      .on('GET /storage_service/active_repair/', json([3, 7]))
      .on('GET /task_manager/list_module_tasks/repair', json([
        { task_id: 'a', state: 'running', type: 'repair', kind: 'node', scope: 'keyspace', keyspace: 'other', table: '', entity: '', sequence_number: 3, shard: 0 },
        { task_id: 'b', state: 'running', type: 'repair', kind: 'node', scope: 'keyspace', keyspace: 'ks1', table: '', entity: '', sequence_number: 7, shard: 0 },
      ]))
      .on('POST /storage_service/repair_async/ks1', json(8))
      .on('GET /storage_service/repair_async/ks1', statuses('RUNNING', 'SUCCESSFUL'));
    const r = await new ScyllaRepair({ keyspace: 'ks1' }).execute(env.ctx);
    expect(r).toEqual({ id: 7, origin: 'attached', status: 'SUCCESSFUL' });
    expect(stub.count('POST /storage_service/repair_async/ks1')).toBe(0);
    expect(stub.requests.find((q) => q.path.startsWith('/task_manager'))!.query.get('keyspace')).toBe('ks1');
  });

  it('starts its own when the active repairs belong to other keyspaces', async () => {
    stub
      .on('GET /storage_service/active_repair/', json([3]))
      .on('GET /task_manager/list_module_tasks/repair', json([{ task_id: 'a', state: 'running', type: 'repair', keyspace: 'other', table: '', sequence_number: 3 }]))
      .on('POST /storage_service/repair_async/ks1', json(4))
      .on('GET /storage_service/repair_async/ks1', json('SUCCESSFUL'));
    expect((await new ScyllaRepair({ keyspace: 'ks1' }).execute(env.ctx)).origin).toBe('started');
  });

  it('without a task manager, waits for unattributable active repairs to end before starting one', async () => {
    let polls = 0;
    stub
      .on('GET /storage_service/active_repair/', () => json(polls++ < 2 ? [3] : []))
      .on('POST /storage_service/repair_async/ks1', json(4))
      .on('GET /storage_service/repair_async/ks1', json('SUCCESSFUL'));
    // /task_manager/... is not served: the stub answers 404 {"message":"Not found"}
    const r = await new ScyllaRepair({ keyspace: 'ks1', pollIntervalSeconds: 5 }).execute(env.ctx);
    expect(r.origin).toBe('started');
    expect(polls).toBe(3);
    expect(stub.count('POST /storage_service/repair_async/ks1')).toBe(1);
    const postIndex = stub.requests.findIndex((q) => q.method === 'POST');
    const lastActive = stub.requests.map((q) => q.path).lastIndexOf('/storage_service/active_repair/');
    expect(lastActive).toBeLessThan(postIndex);
  });

  it('FAILED is a recoverable REPAIR_FAILED', async () => {
    stub
      .on('GET /storage_service/active_repair/', json([]))
      .on('POST /storage_service/repair_async/ks1', json(1))
      .on('GET /storage_service/repair_async/ks1', statuses('RUNNING', 'FAILED'));
    const e = await new ScyllaRepair({ keyspace: 'ks1' }).execute(env.ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RecoverableError);
    expect((e as RecoverableError).code).toBe('REPAIR_FAILED');
  });

  it('"unknown repair id" while polling (node restarted) is a recoverable REPAIR_LOST', async () => {
    stub
      .on('GET /storage_service/active_repair/', json([]))
      .on('POST /storage_service/repair_async/ks1', json(9))
      .on('GET /storage_service/repair_async/ks1', scyllaError(400, 'unknown repair id 9'));
    const e = await new ScyllaRepair({ keyspace: 'ks1' }).execute(env.ctx).catch((x: unknown) => x);
    expect((e as RecoverableError).code).toBe('REPAIR_LOST');
    expect(classifyError(e)).toBe('recoverable');
  });

  it('a tablets keyspace (403) is unrecoverable', async () => {
    stub
      .on('GET /storage_service/active_repair/', json([]))
      .on('POST /storage_service/repair_async/ks1', scyllaError(403, 'Cannot repair tablet keyspace ks1. Use /storage_service/tablets/repair'));
    const e = await new ScyllaRepair({ keyspace: 'ks1' }).execute(env.ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnrecoverableError);
    expect((e as Error).message).toContain('Cannot repair tablet keyspace');
  });
});
