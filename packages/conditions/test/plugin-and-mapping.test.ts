import { InvalidInputError, PluginRegistry, ServiceRegistry, type NodeCondition } from '@scylla-cp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterSeriesMatcher,
  CompactionsNominal,
  CoordinatorLatencyBelow,
  expandQueryPlaceholders,
  judgeSamples,
  nodeSeries,
  prometheus,
  PrometheusQueryCondition,
  AlertmanagerService,
  PrometheusService,
  prometheusPlugin,
  prometheusServiceProvider,
  type PrometheusApi,
  type QueryResult,
} from '../src/index.js';
import { clusterContext, inventory, node, nodeContext } from './helpers/contexts.js';
import { HttpStub } from './helpers/http-stub.js';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('prometheusPlugin', () => {
  const registry = new PluginRegistry().register(prometheusPlugin);

  it('registers the conditions with their scopes, and the Prometheus and Alertmanager services', () => {
    const tags = registry.tags('condition').map((t) => [t.tag, (t.definition as { scope: string }).scope]);
    expect(tags).toEqual([
      ['alerts-silent', 'cluster'],
      ['compactions-nominal', 'node'],
      ['prometheus-query', 'node'],
      ['prometheus-cluster-query', 'cluster'],
      ['node-operation-mode-normal', 'node'],
      ['coordinator-latency-below', 'cluster'],
    ]);
    expect(registry.services.has(PrometheusService)).toBe(true);
    expect(registry.services.has(AlertmanagerService)).toBe(true);
  });

  it('validates parameters strictly, in snake_case, with documented defaults', () => {
    const bare = registry.create('condition', 'compactions-nominal', {}) as CompactionsNominal;
    expect([bare.maxPending, bare.maxRunning]).toEqual([10, undefined]);
    const set = registry.create('condition', 'compactions-nominal', { max_pending: 0, max_running: 4 }) as CompactionsNominal;
    expect([set.maxPending, set.maxRunning]).toEqual([0, 4]);
    expect(() => registry.create('condition', 'compactions-nominal', { maxPending: 3 })).toThrow(/maxPending|Unrecognized key/);
    expect(() => registry.create('condition', 'compactions-nominal', { max_pending: -1 })).toThrow(/max_pending/);

    const q = registry.create('condition', 'prometheus-query', { query: 'up', comparator: '>=', threshold: 1 }) as PrometheusQueryCondition;
    expect(q.options).toEqual({ query: 'up', comparator: '>=', threshold: 1, empty: 'fail' });
    expect(() => registry.create('condition', 'prometheus-query', { query: 'up', comparator: '=>', threshold: 1 })).toThrow(/comparator/);
    expect(() => registry.create('condition', 'prometheus-query', { query: 'up', comparator: '>', threshold: 1, empty: 'ok' })).toThrow(/empty/);
    expect(() => registry.create('condition', 'prometheus-query', { comparator: '>', threshold: 1 })).toThrow(/query/);

    const lat = registry.create('condition', 'coordinator-latency-below', { max_ms: 25 }) as CoordinatorLatencyBelow;
    expect([lat.quantile, lat.maxMs, lat.operations]).toEqual([0.99, 25, ['read', 'write']]);
    expect(() => registry.create('condition', 'coordinator-latency-below', { max_ms: 25, quantile: 99 })).toThrow(/quantile/);
    expect(() => registry.create('condition', 'coordinator-latency-below', {})).toThrow(/max_ms/);
    expect(() => registry.create('condition', 'node-operation-mode-normal', { mode: 3 })).toThrow(/mode/);
  });
});

describe('node → series mapping', () => {
  const n = node('n1', '10.0.0.1', undefined, { dc: 'eu', rack: 'r7', zone: 'z2' });

  it('defaults to instance="<address>:9180"', () => {
    expect(nodeSeries(inventory([n]), n)).toEqual({ label: 'instance', value: '10.0.0.1:9180', matcher: 'instance="10.0.0.1:9180"' });
    const v6 = node('n6', 'fd00::1');
    expect(nodeSeries(inventory([v6]), v6).value).toBe('[fd00::1]:9180');
  });

  it('follows instance_format and instance_label, cluster-wide or per node', () => {
    const inv = inventory([n], { instance_format: '{id}.{dc}.{rack}.{zone}.example:9180', instance_label: 'host' });
    expect(nodeSeries(inv, n).matcher).toBe('host="n1.eu.r7.z2.example:9180"');
    const own = { ...n, connection: { prometheus: { instance_format: '{address}:19180' } } };
    expect(nodeSeries(inventory([own], { instance_format: '{id}:9180' }), own).value).toBe('10.0.0.1:19180');
    expect(errorOf(() => nodeSeries(inventory([n], { instance_format: '{host}:9180' }), n)).message).toContain('unknown placeholder {host}');
  });

  it('uses a node-level connection.prometheus_target verbatim', () => {
    const sim = node('n1', '10.0.0.1', '127.0.0.1:40001');
    expect(nodeSeries(inventory([sim], { instance_format: '{id}:1' }), sim).value).toBe('127.0.0.1:40001');
    const bad = { ...n, connection: { prometheus_target: 9180 } };
    expect(errorOf(() => nodeSeries(inventory([bad]), bad))).toBeInstanceOf(InvalidInputError);
  });

  it('selects the whole cluster with an escaped regex', () => {
    const inv = inventory([node('b', '10.0.0.2'), node('a', '10.0.0.1')]);
    expect(clusterSeriesMatcher(inv)).toBe('instance=~"10\\\\.0\\\\.0\\\\.1:9180|10\\\\.0\\\\.0\\\\.2:9180"');
  });

  it('rejects unknown or conflicting connection.prometheus keys, naming them', () => {
    const e = errorOf(() => nodeSeries(inventory([n], { url: 'http://p:9090', timeout: 3 }), n));
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e.message).toMatch(/connection\.prometheus.*timeout/);
    expect(errorOf(() => nodeSeries(inventory([n], { bearer_token: 'a', basic_auth: { username: 'u', password: 'p' } }), n)).message).toContain(
      'at most one of basic_auth, bearer_token',
    );
  });
});

describe('query placeholders and judging', () => {
  it('expands known placeholders, escaped for PromQL strings, and leaves others', () => {
    expect(expandQueryPlaceholders('up{instance="{instance}",x=~"a{2}"} {other}', { instance: 'a"b\\c' })).toBe(
      'up{instance="a\\"b\\\\c",x=~"a{2}"} {other}',
    );
    const n = node('n1', '10.0.0.1', undefined, { dc: 'eu', rack: 'r1' });
    const ctx = nodeContext(new ServiceRegistry(), inventory([n, node('n2', '10.0.0.2')]), n);
    const q = new PrometheusQueryCondition({ query: 'x{instance="{instance}",a="{address}/{id}/{dc}/{rack}/{zone}/{cluster}",i=~"{instances}"}', comparator: '>', threshold: 0 });
    expect(q.expand(ctx)).toBe('x{instance="10.0.0.1:9180",a="10.0.0.1/n1/eu/r1/r1/test-cluster",i=~"10\\\\.0\\\\.0\\\\.1:9180|10\\\\.0\\\\.0\\\\.2:9180"}');
  });

  it('requires every value to pass, treats NaN as failing except for !=, and lists failing series first', () => {
    const s = (shard: string, value: number) => ({ metric: { shard }, value, timestampSeconds: 1 });
    const opts = { comparator: '<' as const, threshold: 5, empty: 'fail' as const };
    expect(judgeSamples([s('0', 1), s('1', 2)], opts, 'q')).toEqual({ ok: true, detail: 'all 2 values < 5: {shard="0"} 1, {shard="1"} 2' });
    expect(judgeSamples([s('0', 1), s('1', Number.NaN)], opts, 'q')).toEqual({
      ok: false,
      detail: '1 of 2 values not < 5: {shard="1"} NaN; passing: {shard="0"} 1 (query: q)',
    });
    expect(judgeSamples([s('0', Number.NaN)], { ...opts, comparator: '!=' }, 'q').ok).toBe(true);
    const many = Array.from({ length: 14 }, (_, i) => s(String(i), i));
    const d = judgeSamples(many, opts, 'q').detail;
    expect(d).toMatch(/^9 of 14 values not < 5: \{shard="5"\} 5, .*\{shard="13"\} 13; passing: \{shard="0"\} 0, 4 more \(query: q\)$/);
  });
});

describe('the Prometheus service provider', () => {
  let stub: HttpStub;
  beforeAll(async () => {
    stub = await HttpStub.start(() => ({ status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }) }));
  });
  afterAll(async () => stub.close());

  it('builds a client from connection.prometheus with auth from the environment, cached per settings', async () => {
    const services = new ServiceRegistry().provide(prometheusServiceProvider({ env: { PROM_PASSWORD: 'hunter2', PROM_TOKEN: 'tok' } }));
    const n = node('n1', '10.0.0.1');
    const basic = inventory([n], { url: stub.url, basic_auth: { username: 'ops', password_env: 'PROM_PASSWORD' } });
    const c1 = prometheus(nodeContext(services, basic, n));
    expect(c1).toBe(prometheus(clusterContext(services, basic)));
    await new CompactionsNominal().check(nodeContext(services, basic, n));
    expect(stub.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('ops:hunter2').toString('base64')}`);
    expect(new URLSearchParams(stub.requests.at(-1)!.body).get('query')).toBe(
      '{__name__=~"scylla_compaction_manager_pending_compactions|scylla_compaction_manager_compactions",instance="10.0.0.1:9180"}',
    );

    const bearer = inventory([n], { url: stub.url, bearer_token_env: 'PROM_TOKEN', timeout_seconds: 3 });
    await prometheus(clusterContext(services, bearer)).query('up');
    expect(stub.requests.at(-1)!.headers.authorization).toBe('Bearer tok');
    expect(new URLSearchParams(stub.requests.at(-1)!.body).get('timeout')).toBe('3s');

    const unset = inventory([n], { url: stub.url, bearer_token_env: 'NOT_SET_ANYWHERE' });
    expect(errorOf(() => prometheus(clusterContext(services, unset))).message).toContain('NOT_SET_ANYWHERE, which is not set');
    await services.dispose();
  });

  it('makes a condition fail at once, naming the key, when connection.prometheus.url is missing', async () => {
    const registry = new PluginRegistry().register(prometheusPlugin);
    const n = node('n1', '10.0.0.1');
    const c = registry.create('condition', 'compactions-nominal', {}) as NodeCondition;
    const e = await c.check(nodeContext(registry.services, inventory([n]), n)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).code).toBe('MISSING_PROMETHEUS_URL');
    expect((e as Error).message).toContain('connection.prometheus.url');
  });

  it('can be overridden with any PrometheusApi', async () => {
    const seen: string[] = [];
    const fake: PrometheusApi = {
      url: 'fake://',
      async query(expr): Promise<QueryResult> {
        seen.push(expr);
        return { resultType: 'vector', result: [{ metric: { __name__: 'scylla_node_operation_mode', shard: '0' }, value: 3, timestampSeconds: 1 }], warnings: [], infos: [] };
      },
      async queryRange(): Promise<QueryResult> {
        throw new Error('unused');
      },
    };
    const registry = new PluginRegistry().register(prometheusPlugin).provide({ key: PrometheusService, create: () => fake });
    const n = node('n1', '10.0.0.1');
    const c = registry.create('condition', 'node-operation-mode-normal', {}) as NodeCondition;
    expect(await c.check(nodeContext(registry.services, inventory([n]), n))).toEqual({ ok: true, detail: 'operation mode 3 (NORMAL) for instance="10.0.0.1:9180"' });
    expect(seen).toEqual(['scylla_node_operation_mode{instance="10.0.0.1:9180"}']);
  });
});
