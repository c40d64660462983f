import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from '../src/prometheus/exposition-parser.js';
import { matchesSelector, parseSelector, PromqlSubsetError } from '../src/prometheus/promql-selector.js';
import { SimPrometheus } from '../src/prometheus/sim-prometheus.js';

const METRICS_A = `# HELP scylla_compaction_manager_pending_compactions Holds the number of compaction tasks waiting
# TYPE scylla_compaction_manager_pending_compactions gauge
scylla_compaction_manager_pending_compactions{shard="0"} 30
scylla_compaction_manager_pending_compactions{shard="1"} 12
scylla_compaction_manager_compactions{shard="0"} 1
scylla_node_operation_mode 3
scylla_storage_proxy_coordinator_read_latency_summary{quantile="0.99",scheduling_group_name="statement",shard="0"} NaN
`;

describe('exposition parser', () => {
  it('parses names, labels, escapes and special values', () => {
    const s = parseExposition(`${METRICS_A}weird{a="x\\"y\\\\z\\n"} +Inf 1700000000\n`);
    expect(s).toHaveLength(6);
    expect(s[0]).toEqual({ labels: { __name__: 'scylla_compaction_manager_pending_compactions', shard: '0' }, value: 30 });
    expect(s[3]).toEqual({ labels: { __name__: 'scylla_node_operation_mode' }, value: 3 });
    expect(Number.isNaN(s[4]!.value)).toBe(true);
    expect(s[5]!.labels.a).toBe('x"y\\z\n');
    expect(s[5]!.value).toBe(Infinity);
  });

  it('names the line of a malformed sample', () => {
    expect(() => parseExposition('ok 1\nbad{shard="0" 2\n')).toThrow(/line 2/);
    expect(() => parseExposition('ok one\n')).toThrow(/line 1: malformed value/);
  });
});

describe('selector subset', () => {
  it('parses metric names and all four matchers', () => {
    expect(parseSelector('up')).toEqual([{ name: '__name__', op: '=', value: 'up' }]);
    expect(parseSelector(`{__name__=~"a|b", instance!='x:1', job!~"n.*"}`)).toEqual([
      { name: '__name__', op: '=~', value: 'a|b' },
      { name: 'instance', op: '!=', value: 'x:1' },
      { name: 'job', op: '!~', value: 'n.*' },
    ]);
  });

  it('anchors regexes fully, as PromQL does', () => {
    const m = parseSelector('{shard=~"1"}');
    expect(matchesSelector({ shard: '1' }, m)).toBe(true);
    expect(matchesSelector({ shard: '10' }, m)).toBe(false);
    expect(matchesSelector({}, parseSelector('{x=""}'))).toBe(true);
  });

  it('rejects functions, aggregations and range selectors', () => {
    for (const q of ['sum(up)', 'up[5m]', 'up > 1', 'rate(x[1m])', '', '{}']) {
      expect(() => parseSelector(q), q).toThrow(PromqlSubsetError);
    }
  });
});

describe('SimPrometheus over HTTP', () => {
  let prom: SimPrometheus | undefined;
  afterEach(async () => {
    await prom?.close();
  });

  it('answers instant selector queries with the Prometheus JSON envelope, per target instance', async () => {
    let bDown = false;
    prom = new SimPrometheus(
      [
        { instance: '127.0.0.1:1001', scrape: () => METRICS_A },
        { instance: '127.0.0.1:1002', scrape: () => (bDown ? undefined : 'scylla_node_operation_mode 2\n') },
      ],
      { now: () => 1_700_000_000_000 },
    );
    const base = await prom.listen();
    const q = async (query: string, method = 'GET') => {
      const res =
        method === 'GET'
          ? await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`)
          : await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query }) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const r = await q('scylla_node_operation_mode');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('success');
    expect(r.body.data.resultType).toBe('vector');
    expect(r.body.data.result.map((x: any) => [x.metric.instance, x.value[1]])).toEqual([
      ['127.0.0.1:1001', '3'],
      ['127.0.0.1:1002', '2'],
    ]);
    expect(r.body.data.result[0].value[0]).toBe(1_700_000_000);

    const pending = await q(`{__name__=~"scylla_compaction_manager_pending_compactions|scylla_compaction_manager_compactions",instance="127.0.0.1:1001"}`, 'POST');
    expect(pending.body.data.result).toHaveLength(3);

    bDown = true;
    const down = await q('scylla_node_operation_mode{instance="127.0.0.1:1002"}');
    expect(down.body.data.result).toEqual([]);

    const bad = await q('sum(scylla_node_operation_mode)');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect((await fetch(`${base}/-/ready`)).status).toBe(200);
  });
});
