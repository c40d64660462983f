// A `scylla-cp server` replica as the tests and the failover benchmark run it: the built-in
// plugins plus the simulator's shell, a shared job store, and a witness file to which it appends
// (synchronously, so the file's order is the order of events) each attempt it begins and each
// step it ends, with the cluster, so that a test can check that no two runners operate a
// cluster at once.
// Usage: replica.ts <store: sqlite:<path> | postgres:<url>> <witnessFile> <leaseTtlSeconds> <tokensJson>
// stdout: `LISTENING <url> <holder>` once it serves.
import fs from 'node:fs';
import { corePlugin, PluginRegistry, type JobStore } from '@scylla-cp/core';
import { prometheusPlugin } from '@scylla-cp/conditions';
import { simShellOverride } from '@scylla-cp/sim';
import { PostgresStore } from '@scylla-cp/store-postgres';
import { SqliteStore } from '@scylla-cp/store-sqlite';
import { scyllaPlugin } from '@scylla-cp/tasks-scylla';
import { createServer, type TokenEntry } from '../../src/index.js';

const [storeSpec, witness, ttlText, tokensJson] = process.argv.slice(2) as [string, string, string, string];

async function openStore(spec: string): Promise<JobStore> {
  if (spec.startsWith('sqlite:')) return SqliteStore.open(spec.slice('sqlite:'.length));
  if (spec.startsWith('postgres:')) return PostgresStore.open({ connectionString: spec.slice('postgres:'.length) });
  throw new Error(`unknown store ${spec}`);
}

const store = await openStore(storeSpec);
const registry = new PluginRegistry().register(corePlugin, scyllaPlugin, prometheusPlugin);
simShellOverride(registry);
const ttl = Number(ttlText);
const server = await createServer({
  store,
  registry,
  tokens: JSON.parse(tokensJson) as TokenEntry[],
  leaseTtlSeconds: ttl,
  heartbeatSeconds: ttl / 4,
  scanIntervalMs: 100,
  ssePollMs: 50,
  holder: `replica:${process.pid}`,
});
const clusters = new Map<string, string>();
const now = () => performance.timeOrigin + performance.now();
const write = (o: Record<string, unknown>) => fs.appendFileSync(witness, `${JSON.stringify({ t: now(), pid: process.pid, ...o })}\n`);
server.engine.on('job', (e) => {
  clusters.set(e.jobId, e.cluster);
  write({ kind: 'job', jobId: e.jobId, cluster: e.cluster, state: e.state, reason: e.reason });
});
server.engine.on('attempt', (e) => write({ kind: 'begin', jobId: e.jobId, cluster: clusters.get(e.jobId), stepId: e.stepId, attempt: e.attempt }));
server.engine.on('retry', (e) => write({ kind: 'end', jobId: e.jobId, cluster: clusters.get(e.jobId), stepId: e.stepId, outcome: 'retry' }));
server.engine.on('step', (e) => {
  if (e.state !== 'running') write({ kind: 'end', jobId: e.jobId, cluster: clusters.get(e.jobId), stepId: e.stepId, outcome: e.state });
});
const url = await server.listen({ host: '127.0.0.1', port: 0 });
console.log(`LISTENING ${url} ${server.engine.holder}`);
const shutdown = async () => {
  await server.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
