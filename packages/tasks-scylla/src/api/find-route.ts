import { SCYLLA_ROUTES } from '../generated/scylla-routes.js';
import type { ScyllaRouteSpec } from './route-spec.js';

/** A {@link ScyllaRouteSpec} matched against a concrete request path. */
export interface ScyllaRouteMatch {
  /** The matched manifest entry. */
  readonly route: ScyllaRouteSpec;
  /** Values of the template's `{param}` placeholders, URI-decoded. */
  readonly pathParams: Readonly<Record<string, string>>;
}

type Segment = { literal: string } | { param: string };
interface Compiled {
  route: ScyllaRouteSpec;
  segments: Segment[];
}

/**
 * Splits a path the way Scylla's HTTP router sees it: query string dropped, one trailing `/`
 * ignored (seastar registers `/gossiper/endpoint/live/` as `/gossiper/endpoint/live` and strips a
 * trailing `/` from incoming URLs, so both spellings reach the same handler).
 */
export function normalizeScyllaPath(path: string): string {
  let p = path;
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function compile(path: string): Segment[] {
  return normalizeScyllaPath(path)
    .split('/')
    .slice(1)
    .map((s) => {
      const m = /^\{([^}]+)\}$/.exec(s);
      return m ? { param: m[1]! } : { literal: s };
    });
}

const byMethod = new Map<string, Compiled[]>();
for (const route of SCYLLA_ROUTES) {
  const list = byMethod.get(route.method) ?? [];
  list.push({ route, segments: compile(route.path) });
  byMethod.set(route.method, list);
}

/**
 * Finds the manifest route that serves `method concretePath` on a real Scylla node, e.g.
 * `findRoute('GET', '/storage_service/repair_async/ks1?id=3')` → the `repair_async_status` route
 * with `pathParams.keyspace === 'ks1'`. The query string is ignored; a trailing `/` does not
 * matter; a `{param}` matches one non-empty path segment; when several templates match, the one
 * with a literal segment earliest wins (as a literal route is more specific than a parameter).
 * Returns `undefined` when Scylla would answer 404 "Not found".
 */
export function findRoute(method: string, concretePath: string): ScyllaRouteMatch | undefined {
  const candidates = byMethod.get(method.toUpperCase());
  if (!candidates) return undefined;
  const parts = normalizeScyllaPath(concretePath).split('/').slice(1);
  let best: { match: ScyllaRouteMatch; score: number[] } | undefined;
  for (const c of candidates) {
    if (c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const score: number[] = [];
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i]!;
      const part = parts[i]!;
      if ('literal' in seg) {
        if (seg.literal !== part) {
          ok = false;
          break;
        }
        score.push(1);
      } else {
        if (part === '') {
          ok = false;
          break;
        }
        try {
          params[seg.param] = decodeURIComponent(part);
        } catch {
          params[seg.param] = part;
        }
        score.push(0);
      }
    }
    if (!ok) continue;
    if (!best || compareScore(score, best.score) > 0) best = { match: { route: c.route, pathParams: params }, score };
  }
  return best?.match;
}

function compareScore(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
