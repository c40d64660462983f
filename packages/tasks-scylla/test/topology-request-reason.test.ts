import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyError, UnrecoverableError } from '@scylla-cp/core';
import { ScyllaDecommission, ScyllaRemoveNode } from '../src/index.js';
import { FastClock, json, nodeContext, scyllaError, StubScylla, stubNode } from './stub-scylla.js';

// Issue 19: decommission and removenode report the topology coordinator's reason (read from a
// member's task manager, module node_ops) when their blocking call fails.

let leaving: StubScylla;
let member: StubScylla;
let env: ReturnType<typeof nodeContext>;
const DEAD = '00000000-0000-0000-0000-000000000002';

beforeEach(async () => {
  leaving = await StubScylla.start();
  member = await StubScylla.start();
  const n1 = stubNode('n1', leaving.port, '127.0.0.1');
  const m1 = stubNode('m1', member.port, '127.0.0.2', { connection: { scylla_api: { host: '127.0.0.1', port: member.port } } });
  env = nodeContext({ name: 'c', nodes: [n1, m1], connection: {} }, n1, { clock: new FastClock() });
  leaving
    .on('GET /storage_service/operation_mode', json('NORMAL'))
    .on('GET /storage_service/native_transport', json(true))
    .on('GET /storage_service/hostid/local', json('11111111-1111-1111-1111-111111111111'))
    .on('POST /storage_service/decommission', scyllaError(500, 'std::runtime_error (decommission failed)'));
});
afterEach(async () => {
  await env.dispose();
  await leaving.close();
  await member.close();
});

function tasks(type: string, entity: string, state: string, error = '') {
  member
    .on('GET /task_manager/list_module_tasks/node_ops', () => json([{ task_id: 'T1', state, type, kind: 'cluster', scope: 'cluster', entity, sequence_number: 1 }]))
    .on('GET /task_manager/task_status/T1', () => json({ id: 'T1', state, type, entity, error, sequence_number: 1 }));
}

describe("the coordinator's reason on a failed topology call", () => {
  it('a decommission whose leave request failed: unrecoverable TOPOLOGY_REQUEST_FAILED with the reason', async () => {
    tasks('decommission', '11111111-1111-1111-1111-111111111111', 'failed', 'Rolled back: streaming to 127.0.0.3 failed');
    const e = await new ScyllaDecommission().execute(env.ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnrecoverableError);
    expect((e as UnrecoverableError).code).toBe('TOPOLOGY_REQUEST_FAILED');
    expect((e as Error).message).toContain('Rolled back: streaming to 127.0.0.3 failed');
    expect(member.count('GET /task_manager/task_status/T1')).toBe(1);
  });

  it('without a failed request the call error stands (a 500 stays recoverable)', async () => {
    tasks('decommission', '11111111-1111-1111-1111-111111111111', 'running');
    const e = await new ScyllaDecommission().execute(env.ctx).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/decommission failed/);
    expect(classifyError(e)).toBe('recoverable');
  });

  it('a resumed decommission (node LEAVING) waits on its request and fails with the reason when the coordinator rolls it back', async () => {
    let polls = 0;
    const state = () => (polls < 3 ? 'running' : 'failed');
    leaving.on('GET /storage_service/operation_mode', () => json(polls < 3 ? 'LEAVING' : 'NORMAL'));
    member
      .on('GET /task_manager/list_module_tasks/node_ops', () =>
        json([{ task_id: 'T1', state: state(), type: 'decommission', kind: 'cluster', scope: 'cluster', entity: '11111111-1111-1111-1111-111111111111', sequence_number: 1 }]),
      )
      .on('GET /task_manager/task_status/T1', () => {
        polls++;
        return json({ id: 'T1', state: state(), type: 'decommission', entity: '11111111-1111-1111-1111-111111111111', error: polls >= 3 ? 'Rolled back: a replica died' : '', sequence_number: 1 });
      });
    const e = await new ScyllaDecommission({ pollIntervalSeconds: 1 }).execute(env.ctx).catch((x: unknown) => x);
    expect((e as UnrecoverableError).code).toBe('TOPOLOGY_REQUEST_FAILED');
    expect((e as Error).message).toContain('Rolled back: a replica died');
    expect(leaving.count('POST /storage_service/decommission')).toBe(0);
  });

  it('a resumed decommission (node LEAVING) whose request completes ends DECOMMISSIONED without a second POST', async () => {
    let polls = 0;
    leaving.on('GET /storage_service/operation_mode', () => json(polls < 2 ? 'LEAVING' : 'DECOMMISSIONED'));
    member
      .on('GET /task_manager/list_module_tasks/node_ops', () =>
        json([{ task_id: 'T1', state: 'running', type: 'decommission', kind: 'cluster', scope: 'cluster', entity: '11111111-1111-1111-1111-111111111111', sequence_number: 1 }]),
      )
      .on('GET /task_manager/task_status/T1', () => {
        polls++;
        return json({ id: 'T1', state: polls >= 2 ? 'done' : 'running', type: 'decommission', entity: '11111111-1111-1111-1111-111111111111', error: '', sequence_number: 1 });
      });
    await expect(new ScyllaDecommission({ pollIntervalSeconds: 1 }).execute(env.ctx)).resolves.toEqual({ alreadyDecommissioned: false });
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(leaving.count('POST /storage_service/decommission')).toBe(0);
  });

  it('a resumed removenode (node DL) waits on its request and fails with the reason when the coordinator rolls it back', async () => {
    let polls = 0;
    const state = () => (polls < 2 ? 'running' : 'failed');
    member
      .on('GET /storage_service/host_id', json([{ key: '127.0.0.2', value: 'M' }, { key: '127.0.0.9', value: DEAD }]))
      .on('GET /gossiper/endpoint/live/', json(['127.0.0.2']))
      .on('GET /gossiper/endpoint/down/', json(['127.0.0.9']))
      .on('GET /storage_service/nodes/joining', json([]))
      .on('GET /storage_service/nodes/leaving', () => json(polls < 2 ? ['127.0.0.9'] : []))
      .on('GET /storage_service/nodes/moving', json([]))
      .on('GET /storage_service/nodes/excluded', json([]))
      .on('GET /storage_service/operation_mode', json('NORMAL'))
      .on('GET /task_manager/list_module_tasks/node_ops', () =>
        json([{ task_id: 'T1', state: state(), type: 'removenode', kind: 'cluster', scope: 'cluster', entity: DEAD, sequence_number: 1 }]),
      )
      .on('GET /task_manager/task_status/T1', () => {
        polls++;
        return json({ id: 'T1', state: state(), type: 'removenode', entity: DEAD, error: polls >= 2 ? 'Rolled back: streaming failed' : '', sequence_number: 1 });
      });
    const mctx = nodeContext(env.ctx.inventory, env.ctx.inventory.nodes[1]!, { clock: new FastClock() });
    try {
      const e = await new ScyllaRemoveNode({ hostId: DEAD, pollIntervalSeconds: 1 }).execute(mctx.ctx).catch((x: unknown) => x);
      expect((e as UnrecoverableError).code).toBe('TOPOLOGY_REQUEST_FAILED');
      expect((e as Error).message).toContain('Rolled back: streaming failed');
      expect(member.count('POST /storage_service/remove_node')).toBe(0);
    } finally {
      await mctx.dispose();
    }
  });

  it('a removenode whose request failed reports the reason', async () => {
    member
      .on('GET /storage_service/host_id', json([{ key: '127.0.0.2', value: 'M' }, { key: '127.0.0.9', value: DEAD }]))
      .on('GET /gossiper/endpoint/live/', json(['127.0.0.2']))
      .on('GET /gossiper/endpoint/down/', json(['127.0.0.9']))
      .on('GET /storage_service/nodes/joining', json([]))
      .on('GET /storage_service/nodes/leaving', json([]))
      .on('GET /storage_service/nodes/moving', json([]))
      .on('GET /storage_service/nodes/excluded', json([]))
      .on('GET /storage_service/operation_mode', json('NORMAL'))
      .on('POST /storage_service/remove_node', scyllaError(500, 'std::runtime_error (removenode failed)'));
    tasks('removenode', DEAD, 'failed', 'Rolled back: a node died');
    const mctx = nodeContext(env.ctx.inventory, env.ctx.inventory.nodes[1]!, { clock: new FastClock() });
    try {
      const e = await new ScyllaRemoveNode({ hostId: DEAD }).execute(mctx.ctx).catch((x: unknown) => x);
      expect((e as UnrecoverableError).code).toBe('TOPOLOGY_REQUEST_FAILED');
      expect((e as Error).message).toContain('Rolled back: a node died');
    } finally {
      await mctx.dispose();
    }
  });
});
