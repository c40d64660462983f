import { classifyError, InvalidInputError, RecoverableError, UnrecoverableError } from '@scylla-cp/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isRecoverablePrometheusError,
  parseSampleValue,
  PrometheusClient,
  PrometheusError,
  PrometheusRecoverableError,
  PrometheusUnrecoverableError,
} from '../src/index.js';
import { freePort } from './helpers/prometheus-server.js';
import { HttpStub, type StubReply } from './helpers/http-stub.js';

const ok = (data: unknown, extra: Record<string, unknown> = {}): StubReply => ({
  status: 200,
  body: JSON.stringify({ status: 'success', data, ...extra }),
});

async function failure(p: Promise<unknown>): Promise<PrometheusError> {
  const e = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  );
  if (!(e instanceof PrometheusError)) throw e;
  return e;
}

describe('PrometheusClient against a local HTTP stub posing as Prometheus', () => {
  let stub: HttpStub;
  let client: PrometheusClient;

  beforeAll(async () => {
    stub = await HttpStub.start();
    client = new PrometheusClient({ url: `${stub.url}/`, timeoutSeconds: 2 });
  });
  afterAll(async () => {
    await client.close();
    await stub.close();
  });
  afterEach(() => {
    stub.requests.length = 0;
  });

  it('posts the query as a form to /api/v1/query and decodes a vector', async () => {
    stub.reply = () =>
      ok(
        {
          resultType: 'vector',
          result: [
            { metric: { __name__: 'up', instance: 'a:9180' }, value: [1767225600.5, '1'] },
            { metric: { instance: 'b:9180' }, value: [1767225600.5, '+Inf'] },
          ],
        },
        { warnings: ['partial'] },
      );
    const r = await client.query('up', { time: 1767225600 });
    expect(r.resultType).toBe('vector');
    if (r.resultType !== 'vector') return;
    expect(r.result).toEqual([
      { metric: { __name__: 'up', instance: 'a:9180' }, timestampSeconds: 1767225600.5, value: 1 },
      { metric: { instance: 'b:9180' }, timestampSeconds: 1767225600.5, value: Number.POSITIVE_INFINITY },
    ]);
    expect(r.warnings).toEqual(['partial']);
    const req = stub.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/v1/query');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body);
    expect(form.get('query')).toBe('up');
    expect(form.get('time')).toBe('1767225600');
    expect(form.get('timeout')).toBe('2s');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('decodes scalar, string and matrix results and sends range parameters', async () => {
    stub.reply = () => ok({ resultType: 'scalar', result: [10, 'NaN'] });
    const s = await client.query('scalar(x)');
    expect(s.resultType === 'scalar' && Number.isNaN(s.result.value)).toBe(true);

    stub.reply = () => ok({ resultType: 'string', result: [10, 'hello'] });
    expect(await client.query('"hello"')).toMatchObject({ resultType: 'string', result: { timestampSeconds: 10, value: 'hello' } });

    stub.reply = () =>
      ok({
        resultType: 'matrix',
        result: [{ metric: { shard: '0' }, values: [[10, '1'], [11, '-Inf']] }],
      });
    const m = await client.queryRange('x', { start: new Date(10_000), end: 11, stepSeconds: 1 });
    expect(m).toMatchObject({
      resultType: 'matrix',
      result: [{ metric: { shard: '0' }, values: [{ timestampSeconds: 10, value: 1 }, { timestampSeconds: 11, value: Number.NEGATIVE_INFINITY }] }],
    });
    const form = new URLSearchParams(stub.requests.at(-1)!.body);
    expect(stub.requests.at(-1)!.path).toBe('/api/v1/query_range');
    expect([form.get('start'), form.get('end'), form.get('step')]).toEqual(['10', '11', '1']);
  });

  it('maps each Prometheus errorType to a typed error, recoverable by the documented rule', async () => {
    const cases: Array<[string, number, boolean]> = [
      ['bad_data', 400, false],
      ['execution', 422, false],
      ['not_found', 404, false],
      ['timeout', 503, true],
      ['canceled', 503, true],
      ['unavailable', 503, true],
      ['internal', 500, true],
      ['something_new', 502, true],
      ['something_new', 400, false],
    ];
    for (const [errorType, status, recoverable] of cases) {
      stub.reply = () => ({ status, body: JSON.stringify({ status: 'error', errorType, error: `boom ${errorType}` }) });
      const e = await failure(client.query('up{'));
      expect(e.errorType, errorType).toBe(errorType);
      expect(e.httpStatus).toBe(status);
      expect(e.recoverable, `${errorType} ${status}`).toBe(recoverable);
      expect(e instanceof (recoverable ? RecoverableError : UnrecoverableError)).toBe(true);
      expect(e instanceof (recoverable ? PrometheusRecoverableError : PrometheusUnrecoverableError)).toBe(true);
      expect(classifyError(e)).toBe(recoverable ? 'recoverable' : 'unrecoverable');
      expect(e.message).toContain(`boom ${errorType}`);
      expect(e.message).toContain('up{');
      expect(e.code).toBe(`PROMETHEUS_${errorType.toUpperCase()}`);
    }
  });

  it('explains a non-JSON 200 reply (recoverable) and shows what was received', async () => {
    stub.reply = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Gateway login</body></html>' });
    const e = await failure(client.query('up'));
    expect(e.errorType).toBe('invalid_json');
    expect(e.recoverable).toBe(true);
    expect(e.message).toMatch(/not JSON.*text\/html.*Gateway login/);

    stub.reply = () => ({ status: 200, body: '{"status":"success","data":{"resultType":"vec' });
    const truncated = await failure(client.query('up'));
    expect(truncated.errorType).toBe('invalid_json');
    expect(truncated.message).toContain('resultType');

    stub.reply = () => ({ status: 200, body: '' });
    expect((await failure(client.query('up'))).message).toContain('(empty body)');
  });

  it('rejects JSON that is not a Prometheus API reply, or a malformed result, as unrecoverable', async () => {
    stub.reply = () => ({ status: 200, body: '{"hello":"world"}' });
    const e = await failure(client.query('up'));
    expect(e.errorType).toBe('unexpected_response');
    expect(e.recoverable).toBe(false);
    expect(e.message).toContain('{\\"hello\\":\\"world\\"}');
    expect(e.message).toContain('connection.prometheus.url');

    stub.reply = () => ok({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1, 'twelve'] }] });
    const bad = await failure(client.query('up'));
    expect(bad.errorType).toBe('unexpected_response');
    expect(bad.message).toContain('result[0].value');
    expect(bad.message).toContain('"twelve" is not a number');

    stub.reply = () => ok({ resultType: 'histogram2', result: [] });
    expect((await failure(client.query('up'))).message).toContain('unknown resultType');
  });

  it('treats a proxy 502 page as recoverable and a 401 as unrecoverable with a hint', async () => {
    stub.reply = () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>502 Bad Gateway</h1>' });
    const e502 = await failure(client.query('up'));
    expect([e502.errorType, e502.httpStatus, e502.recoverable]).toEqual(['http', 502, true]);
    expect(e502.message).toContain('502 Bad Gateway');

    stub.reply = () => ({ status: 401, headers: { 'content-type': 'text/plain' }, body: 'Unauthorized' });
    const e401 = await failure(client.query('up'));
    expect([e401.errorType, e401.httpStatus, e401.recoverable]).toEqual(['http', 401, false]);
    expect(e401.message).toContain('basic_auth / bearer_token');
  });

  it('times out a reply that never comes (recoverable) and honours the caller abort signal', async () => {
    stub.reply = () => ({ status: 200, body: '{}', delayMs: 3_000 });
    const slow = new PrometheusClient({ url: stub.url, timeoutSeconds: 0.3 });
    const e = await failure(slow.query('up'));
    expect([e.errorType, e.recoverable]).toEqual(['client_timeout', true]);
    expect(e.message).toContain('within 0.3s');

    const ac = new AbortController();
    const reason = new Error('job aborted');
    setTimeout(() => ac.abort(reason), 100);
    await expect(slow.query('up', { signal: ac.signal })).rejects.toBe(reason);
    await slow.close();
  });

  it('sends basic auth (also from URL credentials) and bearer tokens, and refuses both at once', async () => {
    stub.reply = () => ok({ resultType: 'vector', result: [] });
    const basic = new PrometheusClient({ url: stub.url, basicAuth: { username: 'ops', password: 's3cr:t' } });
    await basic.query('up');
    expect(stub.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('ops:s3cr:t').toString('base64')}`);

    const inUrl = new PrometheusClient({ url: stub.url.replace('http://', 'http://me:p%40ss@') });
    await inUrl.query('up');
    expect(stub.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('me:p@ss').toString('base64')}`);
    expect(inUrl.url).toBe(stub.url);

    const bearer = new PrometheusClient({ url: stub.url, bearerToken: 'tok-123', headers: { 'X-Scope-OrgID': 'tenant-a' } });
    await bearer.query('up');
    expect(stub.requests.at(-1)!.headers.authorization).toBe('Bearer tok-123');
    expect(stub.requests.at(-1)!.headers['x-scope-orgid']).toBe('tenant-a');

    expect(() => new PrometheusClient({ url: stub.url, bearerToken: 't', basicAuth: { username: 'a', password: 'b' } })).toThrow(InvalidInputError);
    expect(() => new PrometheusClient({ url: 'prometheus:9090' })).toThrow(/http or https|not a valid URL/);
    await Promise.all([basic.close(), inUrl.close(), bearer.close()]);
  });

  it('opens a new connection pool when queried after close()', async () => {
    stub.reply = () => ok({ resultType: 'scalar', result: [1, '5'] });
    const c = new PrometheusClient({ url: stub.url });
    await c.close();
    expect(await c.query('5')).toMatchObject({ resultType: 'scalar', result: { value: 5 } });
    await c.close();
  });

  it('keeps a URL path prefix', async () => {
    stub.reply = () => ok({ resultType: 'vector', result: [] });
    const prefixed = new PrometheusClient({ url: `${stub.url}/prometheus/` });
    await prefixed.query('up');
    expect(stub.requests.at(-1)!.path).toBe('/prometheus/api/v1/query');
    await prefixed.close();
  });
});

describe('PrometheusClient connection failures', () => {
  it('reports a refused connection as a recoverable error naming the URL', async () => {
    const port = await freePort();
    const client = new PrometheusClient({ url: `http://127.0.0.1:${port}` });
    const e = await failure(client.query('up'));
    expect([e.errorType, e.recoverable]).toEqual(['connection', true]);
    expect(e.message).toContain(`http://127.0.0.1:${port}/api/v1/query`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(classifyError(e)).toBe('recoverable');
    await client.close();
  });

  it('reports a dropped connection as recoverable', async () => {
    const stub = await HttpStub.start(() => ({ destroy: true }));
    const client = new PrometheusClient({ url: stub.url });
    const e = await failure(client.query('up'));
    expect([e.errorType, e.recoverable]).toEqual(['connection', true]);
    await client.close();
    await stub.close();
  });
});

describe('decoding rules', () => {
  it('parses Prometheus sample values', () => {
    expect(parseSampleValue('1.5e3')).toBe(1500);
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(parseSampleValue('NaN'))).toBe(true);
    expect(() => parseSampleValue('')).toThrow(/not a number/);
    expect(() => parseSampleValue(3)).toThrow(/must be a string/);
  });

  it('documents the recoverability rule as a function', () => {
    expect(isRecoverablePrometheusError('unavailable')).toBe(true);
    expect(isRecoverablePrometheusError('bad_data', 503)).toBe(false);
    expect(isRecoverablePrometheusError('http', 429)).toBe(true);
    expect(isRecoverablePrometheusError('http', 403)).toBe(false);
    expect(isRecoverablePrometheusError('http')).toBe(false);
  });
});
