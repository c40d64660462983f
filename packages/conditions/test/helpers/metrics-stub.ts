import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type MetricType = 'gauge' | 'counter' | 'summary' | 'untyped';

interface Family {
  type: MetricType;
  help: string;
  series: Array<{ labels: Record<string, string>; value: number }>;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function fmtLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * A local HTTP server exposing Scylla-like metrics in the Prometheus text
 * format on `/metrics`, changeable at runtime. Stands in for a Scylla node's
 * port 9180 in tests.
 */
export class ScyllaMetricsStub {
  readonly #families = new Map<string, Family>();
  #server: Server | undefined;
  #port = 0;
  /** Requests to `/metrics` answered so far. */
  scrapes = 0;

  /** Starts on an ephemeral 127.0.0.1 port. */
  static async start(): Promise<ScyllaMetricsStub> {
    const stub = new ScyllaMetricsStub();
    await stub.listen();
    return stub;
  }

  /** `127.0.0.1:<port>`, the scrape target (and Prometheus `instance` label). */
  get target(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** (Re)starts listening, on the same port as before if there was one. */
  async listen(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      if (req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end('not found');
        return;
      }
      this.scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening (the node is "down"); `listen()` brings it back on the same port. */
  async shutdown(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Sets a metric family: one series per entry. */
  set(name: string, type: MetricType, series: Array<{ labels: Record<string, string>; value: number }>, help = name): this {
    this.#families.set(name, { type, help, series });
    return this;
  }

  /** Removes a metric family. */
  delete(name: string): this {
    this.#families.delete(name);
    return this;
  }

  /** Sets a gauge with one series per shard: `values[i]` for `shard="i"`. */
  setPerShard(name: string, values: readonly number[]): this {
    return this.set(
      name,
      'gauge',
      values.map((value, shard) => ({ labels: { shard: String(shard) }, value })),
    );
  }

  /** Pending and running compactions per shard. */
  setCompactions(pending: readonly number[], running: readonly number[]): this {
    this.setPerShard('scylla_compaction_manager_pending_compactions', pending);
    return this.setPerShard('scylla_compaction_manager_compactions', running);
  }

  /** `scylla_node_operation_mode` on shard 0. */
  setOperationMode(mode: number): this {
    return this.set('scylla_node_operation_mode', 'gauge', [{ labels: { shard: '0' }, value: mode }]);
  }

  /**
   * A coordinator latency summary as Scylla prints it: per shard, quantiles
   * `0.500000`, `0.950000`, `0.990000` (values in microseconds).
   */
  setLatencySummary(op: 'read' | 'write', perShard: ReadonlyArray<{ p50: number; p95: number; p99: number }>): this {
    const series: Family['series'] = [];
    perShard.forEach((q, shard) => {
      for (const [quantile, value] of [
        ['0.500000', q.p50],
        ['0.950000', q.p95],
        ['0.990000', q.p99],
      ] as const) {
        series.push({ labels: { quantile, scheduling_group_name: 'statement', shard: String(shard) }, value });
      }
    });
    return this.set(`scylla_storage_proxy_coordinator_${op}_latency_summary`, 'summary', series);
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const s of f.series) out.push(`${name}${fmtLabels(s.labels)} ${fmtValue(s.value)}`);
    }
    return `${out.join('\n')}\n`;
  }

  async close(): Promise<void> {
    await this.shutdown();
  }
}
