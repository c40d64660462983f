import { VirtualClock } from '@scylla-cp/core';
import { SimCluster, type SimClusterOptions } from '../src/index.js';

/** Seed of randomized parts; `SEED=<n>` reproduces a run. */
export const SEED = Number(process.env['SEED'] ?? 42);

/** A cluster on a VirtualClock (in-process, no sockets). */
export function virtualCluster(options: SimClusterOptions = {}): { clock: VirtualClock; cluster: SimCluster } {
  const clock = new VirtualClock();
  const cluster = new SimCluster({ seed: SEED, ...options, clock });
  return { clock, cluster };
}

/** GET a JSON body from a node in-process. */
export async function getJson(cluster: SimCluster, node: string, url: string): Promise<unknown> {
  const r = await cluster.request(node, 'GET', url);
  if (r.status !== 200) throw new Error(`GET ${url} on ${node}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as unknown;
}
