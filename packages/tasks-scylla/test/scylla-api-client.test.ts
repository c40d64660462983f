import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '@scylla-cp/core';
import { NodeStatusView, ScyllaApiClient, ScyllaApiError, ScyllaApiUnavailableError } from '../src/index.js';
import { json, scyllaError, StubScylla } from './stub-scylla.js';

let stub: StubScylla;
let client: ScyllaApiClient;

beforeAll(async () => {
  stub = await StubScylla.start();
});
afterAll(async () => {
  await stub.close();
});
afterEach(async () => {
  await client?.close();
});

function mk(opts: Partial<ConstructorParameters<typeof ScyllaApiClient>[0]> = {}): ScyllaApiClient {
  client = new ScyllaApiClient({ host: '127.0.0.1', port: stub.port, ...opts });
  return client;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('ScyllaApiClient decoding', () => {
  it('decodes a JSON-quoted string (operation_mode "NORMAL")', async () => {
    stub.on('GET /storage_service/operation_mode', { body: '"NORMAL"' });
    expect(await mk().operationMode()).toBe('NORMAL');
  });

  it('rejects an unquoted string body as a bad response (unrecoverable)', async () => {
    stub.on('GET /storage_service/operation_mode', { body: 'NORMAL' });
    const e = await failure(mk().operationMode());
    expect(e).toBeInstanceOf(ScyllaApiError);
    expect((e as ScyllaApiError).code).toBe('SCYLLA_API_BAD_RESPONSE');
    expect(classifyError(e)).toBe('unrecoverable');
  });

  it('accepts an empty-body void reply (POST drain) and sends POST', async () => {
    stub.on('POST /storage_service/drain', { body: '' });
    await expect(mk().drain()).resolves.toBeUndefined();
    expect(stub.count('POST /storage_service/drain')).toBe(1);
  });

  it('decodes booleans, longs, arrays and mappers', async () => {
    stub
      .on('GET /storage_service/native_transport', { body: 'true' })
      .on('GET /system/uptime_ms', { body: '123456' })
      .on('GET /gossiper/endpoint/live/', json(['10.0.0.1', '10.0.0.2']))
      .on('GET /storage_service/host_id', json([{ key: '10.0.0.1', value: 'a1' }]))
      .on('GET /storage_proxy/schema_versions', json([{ key: 'v1', value: ['10.0.0.1', '10.0.0.2'] }]));
    const c = mk();
    expect(await c.nativeTransport()).toBe(true);
    expect(await c.uptimeMs()).toBe(123456);
    expect(await c.liveEndpoints()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(await c.hostIdMap()).toEqual([{ key: '10.0.0.1', value: 'a1' }]);
    expect(await c.schemaVersions()).toEqual([{ key: 'v1', value: ['10.0.0.1', '10.0.0.2'] }]);
  });

  it('rejects a boolean sent as a string', async () => {
    stub.on('GET /storage_service/gossiping', { body: '"true"' });
    expect(await failure(mk().gossiping())).toBeInstanceOf(ScyllaApiError);
  });

  it('parses drain progress (first number is remaining)', async () => {
    stub.on('GET /storage_service/drain', { body: '"Drained 3/10 ColumnFamilies"' });
    expect(await mk().drainProgress()).toEqual({ remaining: 3, total: 10, text: 'Drained 3/10 ColumnFamilies' });
  });

  it('sends repair options as query strings and decodes the id', async () => {
    stub.on('POST /storage_service/repair_async/ks1', { body: '7' });
    expect(await mk().repairAsync('ks1', { primaryRange: true, columnFamilies: ['t1', 't2'], parallelism: 'parallel' })).toBe(7);
    const req = stub.requests.at(-1)!;
    expect(req.query.get('primaryRange')).toBe('true');
    expect(req.query.get('columnFamilies')).toBe('t1,t2');
    expect(req.query.get('parallelism')).toBe('parallel');
  });

  it('encodes path parameters', async () => {
    stub.on('GET /storage_service/describe_ring/we%20ird', json([]));
    await mk().describeRing('we ird');
    expect(stub.requests.at(-1)!.path).toBe('/storage_service/describe_ring/we%20ird');
  });
});

describe('ScyllaApiClient error classification', () => {
  it('turns a 400 {message, code} body into an unrecoverable ScyllaApiError with status and message', async () => {
    stub.on('GET /storage_service/repair_async/ks1', scyllaError(400, 'unknown repair id 5'));
    const e = await failure(mk().repairStatus('ks1', 5));
    expect(e).toBeInstanceOf(ScyllaApiError);
    expect((e as ScyllaApiError).status).toBe(400);
    expect((e as ScyllaApiError).scyllaMessage).toBe('unknown repair id 5');
    expect(classifyError(e)).toBe('unrecoverable');
    expect(e.message).toContain('unknown repair id 5');
  });

  it('treats 500 as recoverable and keeps the message', async () => {
    stub.on('GET /storage_service/host_id', scyllaError(500, 'std::runtime_error (The gossiper is not ready yet)'));
    const e = await failure(mk().hostIdMap());
    expect(e).toBeInstanceOf(ScyllaApiUnavailableError);
    expect((e as ScyllaApiUnavailableError).status).toBe(500);
    expect((e as ScyllaApiUnavailableError).scyllaMessage).toBe('std::runtime_error (The gossiper is not ready yet)');
    expect((e as ScyllaApiUnavailableError).code).toBe('SCYLLA_API_SERVER_ERROR');
    expect(classifyError(e)).toBe('recoverable');
  });

  it('treats the router 404 "Not found" of a declared route as recoverable (API group still registering)', async () => {
    const e = await failure(mk().rack()); // no handler: stub answers {"message":"Not found","code":404}
    expect(e).toBeInstanceOf(ScyllaApiUnavailableError);
    expect((e as ScyllaApiUnavailableError).code).toBe('SCYLLA_API_NOT_READY');
    expect(classifyError(e)).toBe('recoverable');
  });

  it('treats other 404s as unrecoverable', async () => {
    stub.on('GET /storage_service/keyspaces', scyllaError(404, "Can't find a keyspace x"));
    const e = await failure(mk().keyspaces());
    expect(e).toBeInstanceOf(ScyllaApiError);
    expect(classifyError(e)).toBe('unrecoverable');
  });

  it('keeps a non-JSON error body as the message', async () => {
    stub.on('GET /storage_service/gossiping', { status: 503, body: 'upstream down' });
    const e = await failure(mk().gossiping());
    expect((e as ScyllaApiUnavailableError).scyllaMessage).toBe('upstream down');
    expect(classifyError(e)).toBe('recoverable');
  });

  it('times out waiting for headers: recoverable SCYLLA_API_TIMEOUT, one request only (no hidden retry)', async () => {
    stub.on('GET /storage_service/scylla_release_version', { body: '"6.0"', delayMs: 1500 });
    const before = stub.count('GET /storage_service/scylla_release_version');
    const e = await failure(mk({ headersTimeoutSeconds: 0.2 }).scyllaReleaseVersion());
    expect(e).toBeInstanceOf(ScyllaApiUnavailableError);
    expect((e as ScyllaApiUnavailableError).code).toBe('SCYLLA_API_TIMEOUT');
    expect(classifyError(e)).toBe('recoverable');
    expect(stub.count('GET /storage_service/scylla_release_version') - before).toBe(1);
  });

  it('per-call timeoutSeconds overrides the default headers timeout', async () => {
    stub.on('GET /storage_service/release_version', { body: '"3.0.8"', delayMs: 400 });
    const c = mk({ headersTimeoutSeconds: 0.1 });
    expect(await c.call((await import('../src/index.js')).SCYLLA_CLIENT_ROUTES.releaseVersion, {}, { timeoutSeconds: 5 })).toBe('3.0.8');
  });

  it('connection refused: recoverable SCYLLA_API_UNREACHABLE', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as import('node:net').AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    client = new ScyllaApiClient({ host: '127.0.0.1', port });
    const e = await failure(client.operationMode());
    expect(e).toBeInstanceOf(ScyllaApiUnavailableError);
    expect((e as ScyllaApiUnavailableError).code).toBe('SCYLLA_API_UNREACHABLE');
    expect((e as ScyllaApiUnavailableError).status).toBeUndefined();
    expect(classifyError(e)).toBe('recoverable');
  });

  it('an aborted call rethrows the abort (unrecoverable)', async () => {
    stub.on('GET /storage_service/cluster_name', { body: '"c"', delayMs: 1000 });
    stub.on('GET /storage_service/operation_mode', { body: '"NORMAL"', delayMs: 1000 });
    const ac = new AbortController();
    const p = mk().operationMode({ signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const e = await failure(p);
    expect(classifyError(e)).toBe('unrecoverable');
    expect(e.name).toBe('AbortError');
  });
});

describe('nodeStatus (nodetool rules)', () => {
  it('builds U/D/X and N/J/L/M from the endpoints', async () => {
    stub
      .on('GET /storage_service/host_id', json([
        { key: '10.0.0.1', value: 'h1' },
        { key: '10.0.0.2', value: 'h2' },
        { key: '10.0.0.3', value: 'h3' },
        { key: '10.0.0.4', value: 'h4' },
      ]))
      .on('GET /gossiper/endpoint/live/', json(['10.0.0.1', '10.0.0.3', '10.0.0.4', '10.0.0.5']))
      .on('GET /gossiper/endpoint/down/', json(['10.0.0.2']))
      .on('GET /storage_service/nodes/joining', json(['10.0.0.5']))
      .on('GET /storage_service/nodes/leaving', json(['10.0.0.3']))
      .on('GET /storage_service/nodes/moving', json([]))
      .on('GET /storage_service/nodes/excluded', json(['h4']));
    const view = await mk().nodeStatus();
    expect(view.toString()).toBe('10.0.0.1=UN 10.0.0.2=DN 10.0.0.3=UL 10.0.0.4=XN 10.0.0.5=UJ');
    expect(view.get('10.0.0.5')!.hostId).toBeUndefined();
    expect(view.notUpNormal().map((r) => r.address)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
  });

  it('marks a node in neither gossip list with ?', () => {
    const v = NodeStatusView.from({ hostIds: [{ key: 'a', value: 'h' }], live: [], down: [], joining: [], leaving: [], moving: ['a'], excluded: [] });
    expect(v.rows[0]!.code).toBe('?M');
  });
});
