import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterInventory, NodeExecutionContext } from '@scylla-cp/core';
import { ClusterNormal, QuorumSafe, quorumLoss, quorumOf, type ScyllaTokenRange } from '../src/index.js';
import { json, nodeContext, StubScylla, stubNode } from './stub-scylla.js';

const A = '10.0.0.1', B = '10.0.0.2', C = '10.0.0.3', D = '10.0.0.4', E = '10.0.0.5', F = '10.0.0.6';
const dcOf: Record<string, string> = { [A]: 'dc1', [B]: 'dc1', [C]: 'dc1', [D]: 'dc2', [E]: 'dc2', [F]: 'dc2' };
const range = (s: string, e: string, endpoints: string[]): ScyllaTokenRange => ({
  startToken: s,
  endToken: e,
  endpoints,
  rpcEndpoints: endpoints,
  endpointDetails: endpoints.map((h) => ({ host: h, datacenter: dcOf[h]!, rack: 'r1' })),
});

describe('quorum math', () => {
  it('quorum is floor(rf/2)+1', () => {
    expect([1, 2, 3, 4, 5, 6].map(quorumOf)).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('RF 3, all others live: safe', () => {
    const r = quorumLoss('ks', [range('0', '10', [A, B, C])], A, new Set([A, B, C]), 'quorum');
    expect(r).toEqual({ rangesChecked: 1, violations: [] });
  });

  it('RF 3 with one other replica down: taking A down breaks quorum', () => {
    const r = quorumLoss('ks', [range('0', '10', [A, B, C]), range('10', '20', [B, C, D])], A, new Set([A, C, D]), 'quorum');
    expect(r.rangesChecked).toBe(1);
    expect(r.violations).toEqual([
      { keyspace: 'ks', startToken: '0', endToken: '10', scope: 'quorum', replicas: 3, liveOthers: 1, needed: 2, notLive: [B] },
    ]);
  });

  it('the target being already down does not change the verdict', () => {
    const up = quorumLoss('ks', [range('0', '10', [A, B, C])], A, new Set([A, B, C]), 'quorum');
    const down = quorumLoss('ks', [range('0', '10', [A, B, C])], A, new Set([B, C]), 'quorum');
    expect(down).toEqual(up);
  });

  it('ranges the target does not replicate are ignored, even when broken', () => {
    const r = quorumLoss('ks', [range('0', '10', [B, C, D])], A, new Set([B]), 'quorum');
    expect(r).toEqual({ rangesChecked: 0, violations: [] });
  });

  it('RF 5 tolerates one other down, not two', () => {
    expect(quorumLoss('ks', [range('0', '1', [A, B, C, D, E])], A, new Set([C, D, E]), 'quorum').violations).toHaveLength(0);
    expect(quorumLoss('ks', [range('0', '1', [A, B, C, D, E])], A, new Set([D, E]), 'quorum').violations).toHaveLength(1);
  });

  it('RF 1: taking the only replica down always breaks quorum', () => {
    expect(quorumLoss('ks', [range('0', '1', [A])], A, new Set([A]), 'quorum').violations[0]).toMatchObject({ needed: 1, liveOthers: 0 });
  });

  it('two DCs RF 3+3: global quorum holds but local quorum in dc1 is lost', () => {
    const r6 = range('0', '1', [A, B, C, D, E, F]);
    const live = new Set([A, C, D, E, F]); // B down
    expect(quorumLoss('ks', [r6], A, live, 'quorum').violations).toHaveLength(0);
    const local = quorumLoss('ks', [r6], A, live, 'local_quorum').violations;
    expect(local).toEqual([
      { keyspace: 'ks', startToken: '0', endToken: '1', scope: 'local_quorum in dc1', replicas: 3, liveOthers: 1, needed: 2, notLive: [B] },
    ]);
    // a node down in the other DC does not matter for dc1's local quorum
    expect(quorumLoss('ks', [r6], A, new Set([A, B, C, E, F]), 'local_quorum').violations).toHaveLength(0);
  });
});

describe('quorum-safe condition over the REST API', () => {
  let stub: StubScylla;
  let env: ReturnType<typeof nodeContext>;
  let live: string[];

  beforeEach(async () => {
    stub = await StubScylla.start();
    live = [A, B, C];
    stub
      .on('GET /storage_service/operation_mode', json('NORMAL'))
      .on('GET /storage_service/host_id', json([A, B, C].map((ip, i) => ({ key: ip, value: `00000000-0000-0000-0000-00000000000${i + 1}` }))))
      .on('GET /gossiper/endpoint/live/', () => json(live))
      .on('GET /gossiper/endpoint/down/', () => json([A, B, C].filter((x) => !live.includes(x))))
      .on('GET /storage_service/nodes/joining', json([]))
      .on('GET /storage_service/nodes/leaving', json([]))
      .on('GET /storage_service/nodes/moving', json([]))
      .on('GET /storage_service/nodes/excluded', json([]))
      .on('GET /storage_service/keyspaces', (q) => json(q.query.get('replication') === 'tablets' ? [] : ['ks1', 'system_auth']))
      .on('GET /storage_service/describe_ring/ks1', json([
        { start_token: '0', end_token: '10', endpoints: [A, B, C], rpc_endpoints: [A, B, C], endpoint_details: [A, B, C].map((h) => ({ host: h, datacenter: 'dc1', rack: 'r1' })) },
      ]))
      .on('GET /storage_service/describe_ring/system_auth', json([
        { start_token: '10', end_token: '0', endpoints: [A, B, C], rpc_endpoints: [A, B, C], endpoint_details: [A, B, C].map((h) => ({ host: h, datacenter: 'dc1', rack: 'r1' })) },
      ]));
    const node = stubNode('n1', stub.port, A, { connection: { scylla_api: { port: stub.port, host: '127.0.0.1' } } });
    env = nodeContext({ name: 'c', nodes: [node], connection: {} }, node);
  });
  afterEach(async () => {
    await env.dispose();
    await stub.close();
  });

  it('holds with every replica live, and says what it checked', async () => {
    const r = await new QuorumSafe().check(env.ctx);
    expect(r.ok).toBe(true);
    expect(r.detail).toContain('2 ranges');
    expect(r.detail).toContain('2 keyspaces');
    expect(stub.requests.find((q) => q.path === '/storage_service/keyspaces')!.query.get('type')).toBe('non_local_strategy');
  });

  it('fails when another replica is down, naming it', async () => {
    live = [A, C];
    const r = await new QuorumSafe().check(env.ctx);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('not live: 10.0.0.2');
    expect(r.detail).toContain('10.0.0.2=DN');
  });

  it('skips ignore_keyspaces', async () => {
    live = [A, C];
    const r = await new QuorumSafe({ ignoreKeyspaces: ['ks1', 'system_auth'] }).check(env.ctx);
    expect(r.ok).toBe(true);
    expect(r.detail).toContain('0 keyspaces (ignoring ks1, system_auth)');
  });
});

describe('liveness conditions count the nodes this job has taken down (issue 12)', () => {
  let stub: StubScylla;
  let env: ReturnType<typeof nodeContext>;
  let inventory: ClusterInventory;

  beforeEach(async () => {
    stub = await StubScylla.start();
    const hostIds = [A, B, C].map((ip, i) => ({ key: ip, value: `00000000-0000-0000-0000-00000000000${i + 1}` }));
    stub
      .on('GET /storage_service/operation_mode', json('NORMAL'))
      .on('GET /storage_service/host_id', json(hostIds))
      .on('GET /storage_service/hostid/local', json('00000000-0000-0000-0000-000000000001'))
      .on('GET /gossiper/endpoint/live/', json([A, B, C]))
      .on('GET /gossiper/endpoint/down/', json([]))
      .on('GET /storage_service/nodes/joining', json([]))
      .on('GET /storage_service/nodes/leaving', json([]))
      .on('GET /storage_service/nodes/moving', json([]))
      .on('GET /storage_service/nodes/excluded', json([]))
      .on('GET /storage_proxy/schema_versions', json([{ key: 'v1', value: [A, B, C] }]))
      .on('GET /storage_service/keyspaces', (q) => json(q.query.get('replication') === 'tablets' ? [] : ['system_distributed']))
      .on('GET /storage_service/describe_ring/system_distributed', json([
        { start_token: '0', end_token: '10', endpoints: [A, B, C], rpc_endpoints: [A, B, C], endpoint_details: [A, B, C].map((h) => ({ host: h, datacenter: 'dc1', rack: 'r1' })) },
      ]));
    const conn = { connection: { scylla_api: { port: stub.port, host: '127.0.0.1' } } };
    const nodes = [stubNode('n1', stub.port, A, conn), stubNode('n2', stub.port, B, conn), stubNode('n3', stub.port, C, conn)];
    inventory = { name: 'c', nodes, connection: {} };
    env = nodeContext(inventory, nodes[0]!);
  });
  afterEach(async () => {
    await env.dispose();
    await stub.close();
  });

  const withDisrupted = (ctx: NodeExecutionContext, ids: string[]): NodeExecutionContext => ({ ...ctx, job: { ...ctx.job, disruptedNodes: new Set(ids) } });

  it('quorum-safe: a node of the same job being drained counts as down although its peers still see it UN', async () => {
    expect((await new QuorumSafe().check(env.ctx)).ok).toBe(true);
    const r = await new QuorumSafe().check(withDisrupted(env.ctx, ['n2']));
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('not live: 10.0.0.2');
    expect(r.detail).toContain('taken down by this job: n2');
  });

  it('quorum-safe: a node already in the disrupted set is not "taken down" again (resume after a crash does not deadlock)', async () => {
    const r = await new QuorumSafe().check(withDisrupted(env.ctx, ['n1', 'n2']));
    expect(r.ok).toBe(true);
    expect(r.detail).toContain('already taken down by this job');
  });

  it('cluster-normal: another node of this job being taken down is not normal', async () => {
    expect((await new ClusterNormal().check(env.ctx)).ok).toBe(true);
    const r = await new ClusterNormal().check(withDisrupted(env.ctx, ['n2']));
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('taken down by this job: n2');
  });
});
