import type { SimClusterView } from './sim-cluster-view.js';
import { hash } from './util.js';
import { OPERATION_MODE_METRIC, type SimNode } from './sim-node.js';

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'summary';
  samples: { labels: Record<string, string>; value: number; suffix?: string }[];
}

function fmtLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}

/** Latency quantiles of the coordinator summaries, as Scylla prints them. */
const QUANTILES = ['0.500000', '0.950000', '0.990000'];

/**
 * Renders a node's Prometheus text exposition (format 0.0.4) with Scylla's metric names and
 * labels: `shard="N"` on per-shard metrics, `shard="0"` on node-level ones, summaries with
 * `quantile="0.950000"`-style labels. Values are deterministic functions of the simulated state.
 */
export function renderMetrics(cluster: SimClusterView, node: SimNode): string {
  cluster.sync();
  const now = cluster.clock.now();
  const shards = [...Array(node.shards).keys()].map(String);
  const comp = cluster.compactions(node);
  const compacting = comp.some((c) => c.active > 0);
  const since = Math.max(0, now - node.bootAtMs);
  const bucket = Math.floor(now / 1000);
  const jitter = (s: string) => (hash(`${node.hostId}/${s}/${bucket}`) % 1000) / 1000; // 0..1, stable per second
  const live = cluster.members().filter((n) => n !== node && cluster.seesUp(node, n)).length;
  const unreachable = cluster.members().filter((n) => n !== node && !cluster.seesUp(node, n)).length;
  const slow = 1 + (compacting ? 0.6 : 0) + cluster.faults.latencyMs(node.id, '/') / 10;
  const serving = node.nativeTransport;
  const served = serving ? Math.floor((now - node.servingSinceMs) / 10) : 0;

  const fams: Family[] = [
    {
      name: 'scylla_node_operation_mode',
      help: 'The operation mode of the current node. UNKNOWN = 0, STARTING = 1, JOINING = 2, NORMAL = 3, LEAVING = 4, DECOMMISSIONED = 5, DRAINING = 6, DRAINED = 7, MOVING = 8, MAINTENANCE = 9',
      type: 'gauge',
      samples: [{ labels: { shard: '0' }, value: OPERATION_MODE_METRIC[node.mode] }],
    },
    {
      name: 'scylla_gossip_heart_beat',
      help: 'Heartbeat of the current Node.',
      type: 'counter',
      samples: [{ labels: { shard: '0' }, value: node.gossipUp ? Math.floor(since / 1000) : 0 }],
    },
    { name: 'scylla_gossip_live', help: 'How many live nodes the current node sees', type: 'gauge', samples: [{ labels: { shard: '0' }, value: live }] },
    {
      name: 'scylla_gossip_unreachable',
      help: 'How many unreachable nodes the current node sees',
      type: 'gauge',
      samples: [{ labels: { shard: '0' }, value: unreachable }],
    },
    {
      name: 'scylla_compaction_manager_compactions',
      help: 'Holds the number of currently active compactions.',
      type: 'gauge',
      samples: shards.map((s, i) => ({ labels: { shard: s }, value: comp[i]!.active })),
    },
    {
      name: 'scylla_compaction_manager_pending_compactions',
      help: 'Holds the number of compaction tasks waiting for an opportunity to run.',
      type: 'gauge',
      samples: shards.map((s, i) => ({ labels: { shard: s }, value: comp[i]!.pending })),
    },
    {
      name: 'scylla_compaction_manager_completed_compactions',
      help: 'Holds the number of completed compaction tasks.',
      type: 'counter',
      samples: shards.map((s, i) => ({ labels: { shard: s }, value: comp[i]!.completed })),
    },
    {
      name: 'scylla_compaction_manager_failed_compactions',
      help: 'Holds the number of failed compaction tasks.',
      type: 'counter',
      samples: shards.map((s) => ({ labels: { shard: s }, value: 0 })),
    },
    {
      name: 'scylla_compaction_manager_backlog',
      help: 'Holds the sum of compaction backlog for all tables in the system.',
      type: 'gauge',
      samples: shards.map((s, i) => ({ labels: { shard: s }, value: (comp[i]!.pending + comp[i]!.active) * 268435456 })),
    },
    {
      name: 'scylla_reactor_utilization',
      help: 'CPU utilization',
      type: 'gauge',
      samples: shards.map((s, i) => ({ labels: { shard: s }, value: round2(20 + 10 * jitter(`u${s}`) + (comp[i]!.active > 0 ? 45 : 0)) })),
    },
    {
      name: 'scylla_scheduler_shares',
      help: 'Shares allocated to the task queue',
      type: 'gauge',
      samples: shards.map((s, i) => ({ labels: { group: 'compaction', shard: s }, value: comp[i]!.active > 0 ? 200 + 100 * comp[i]!.pending : 50 })),
    },
    summary('scylla_storage_proxy_coordinator_read_latency_summary', 'Read latency summary', shards, [400, 1200, 2500], slow, jitter),
    summary('scylla_storage_proxy_coordinator_write_latency_summary', 'Write latency summary', shards, [250, 800, 1800], slow, jitter),
    {
      name: 'scylla_transport_requests_served',
      help: 'Counts a number of served requests.',
      type: 'counter',
      samples: shards.map((s) => ({ labels: { shard: s }, value: served })),
    },
    {
      name: 'scylla_transport_current_connections',
      help: 'Holds a current number of client connections.',
      type: 'gauge',
      samples: shards.map((s) => ({ labels: { shard: s }, value: serving ? 4 : 0 })),
    },
    {
      name: 'scylla_node_ops_finished_percentage',
      help: 'Finished percentage of node operation on this shard',
      type: 'gauge',
      samples: ['bootstrap', 'replace', 'rebuild', 'decommission', 'removenode', 'repair'].map((ops) => ({
        labels: { ops, shard: '0' },
        value: ops === 'decommission' && node.mode === 'LEAVING' ? 0.5 : 1,
      })),
    },
    {
      name: 'scylla_scylladb_current_version',
      help: 'Current ScyllaDB version.',
      type: 'gauge',
      samples: [{ labels: { version: cluster.options.scyllaVersion, shard: '' }, value: 0 }],
    },
  ];
  let out = '';
  for (const f of fams) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${s.suffix ?? ''}${fmtLabels(s.labels)} ${fmtValue(s.value)}\n`;
  }
  return out;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function summary(name: string, help: string, shards: string[], baseUs: number[], slow: number, jitter: (s: string) => number): Family {
  const samples: Family['samples'] = [];
  for (const s of shards) {
    QUANTILES.forEach((q, i) => {
      samples.push({
        labels: { quantile: q, scheduling_group_name: 'statement', shard: s },
        value: Math.round(baseUs[i]! * slow * (0.9 + 0.2 * jitter(`${name}${s}${q}`))),
      });
    });
    samples.push({ suffix: '_sum', labels: { scheduling_group_name: 'statement', shard: s }, value: Math.round(baseUs[0]! * slow * 1000) });
    samples.push({ suffix: '_count', labels: { scheduling_group_name: 'statement', shard: s }, value: 1000 });
  }
  return { name, help, type: 'summary', samples };
}
