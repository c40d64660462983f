import type { SimClusterControl } from '../sim-cluster-view.js';
import { SimHttpError } from '../sim-errors.js';
import type { ApiGroup, SimNode } from '../sim-node.js';
import type { SimActor } from '../sim-oplog.js';
import { hash } from '../util.js';

/** What a route's handler is given: the cluster, the node asked, the path parameters and query. */
export interface SimRouteContext {
  cluster: SimClusterControl;
  node: SimNode;
  params: Record<string, string>;
  query: URLSearchParams;
  actor: SimActor;
}

/** One route the simulator serves. */
export interface SimRoute {
  /** HTTP method. */
  method: 'GET' | 'POST' | 'DELETE';
  /** Path template exactly as in ScyllaDB's API definitions (`{param}` placeholders, trailing `/` as declared). */
  path: string;
  /** The API group whose registration (during startup) makes the route answer. */
  group: ApiGroup;
  /** Query parameters whose absence gives 400 `Missing mandatory parameter '<name>'`. */
  required?: string[];
  /** @internal */
  handle: (ctx: SimRouteContext) => unknown;
}

// ---- facts that several route groups report alike

/** The Cassandra release version Scylla reports. */
export const RELEASE_VERSION = '3.0.8';

/** The `{keyspace}` path parameter; 400 if there is no such keyspace. */
export function requireKeyspace(c: SimRouteContext): string {
  const ks = c.params['keyspace']!;
  if (!c.cluster.keyspace(ks)) throw new SimHttpError(400, `Keyspace ${ks} Does not exist`);
  return ks;
}

/** Nodes that own tokens (normal or leaving). */
export function tokenOwners(c: SimRouteContext): SimNode[] {
  return c.cluster.nodes.filter((n) => {
    const s = c.cluster.topology.state(n.id);
    return s === 'normal' || s === 'leaving';
  });
}

/** A node's data size in bytes (a stable figure per host id). */
export function loadOf(n: SimNode): number {
  return 1_000_000_000 + (hash(n.hostId) % 500_000_000);
}

/** A UUID-shaped task id derived from `s` (stable across calls). */
export function taskIdFor(s: string): string {
  const h = [hash(s), hash(`a${s}`), hash(`b${s}`), hash(`c${s}`)].map((x) => x.toString(16).padStart(8, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
