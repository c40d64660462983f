import { describe, expect, it } from 'vitest';
import { SimShell } from '../src/index.js';
import { virtualCluster } from './helpers.js';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(\\{(?:${LABEL})(?:,${LABEL})*\\})? (-?[0-9.]+(?:e[+-]?\\d+)?|NaN|[+-]Inf)$`);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser of the Prometheus text format (0.0.4): HELP/TYPE before samples, valid names and labels. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  for (const [i, line] of lines.entries()) {
    const t = /^# TYPE (\S+) (gauge|counter|summary|histogram|untyped)$/.exec(line);
    if (t) {
      expect(types.has(t[1]!), `line ${i + 1}: TYPE repeated`).toBe(false);
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not a valid sample: ${line}`);
    const family = m[1]!.replace(/_(sum|count|bucket)$/, '');
    expect(types.has(m[1]!) || types.has(family), `line ${i + 1}: sample before its TYPE`).toBe(true);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').slice(1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

describe('Prometheus /metrics', () => {
  it('exposes the real metric names and labels in a valid text exposition', async () => {
    const { clock, cluster } = virtualCluster({ shardsPerNode: 3, timing: { compactionTaskMs: 10_000 } });
    const node = cluster.nodes[0]!;
    const { samples, types } = parse(cluster.scrape(node.id));
    const by = (name: string) => samples.filter((s) => s.name === name);
    expect(by('scylla_node_operation_mode')).toEqual([{ name: 'scylla_node_operation_mode', labels: { shard: '0' }, value: 3 }]);
    expect(by('scylla_gossip_live')[0]!.value).toBe(5);
    expect(by('scylla_compaction_manager_pending_compactions').map((s) => s.labels['shard'])).toEqual(['0', '1', '2']);
    expect(by('scylla_compaction_manager_compactions')).toHaveLength(3);
    expect(by('scylla_reactor_utilization')).toHaveLength(3);
    expect(types.get('scylla_storage_proxy_coordinator_write_latency_summary')).toBe('summary');
    const q = by('scylla_storage_proxy_coordinator_read_latency_summary').filter((s) => s.labels['shard'] === '0');
    expect(q.map((s) => s.labels['quantile'])).toEqual(['0.500000', '0.950000', '0.990000']);
    expect(q.every((s) => s.labels['scheduling_group_name'] === 'statement' && s.value > 0)).toBe(true);
    expect(types.get('scylla_gossip_heart_beat')).toBe('counter');

    // during a restart's backlog the gauges move, utilization rises
    await clock.run(new SimShell(cluster, node.id).run(['systemctl', 'restart', 'scylla-server']));
    await clock.advance(cluster.timing.nativeTransportMs);
    const after = parse(cluster.scrape(node.id)).samples;
    const sum = (name: string) => after.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
    expect(sum('scylla_compaction_manager_compactions')).toBe(3);
    expect(sum('scylla_compaction_manager_pending_compactions')).toBeGreaterThan(0);
    expect(after.filter((s) => s.name === 'scylla_reactor_utilization').every((s) => s.value > 60)).toBe(true);
  });
});
