import type { SimClusterControl } from './sim-cluster-view.js';
import { onAbort } from './util.js';

/** A request as an undici `Pool.request` takes it (the subset the simulator reads). */
export interface SimPoolRequest {
  method: string;
  /** Path with query string. */
  path: string;
  signal?: AbortSignal | null;
  headers?: unknown;
  headersTimeout?: number | null;
  bodyTimeout?: number | null;
}

/** A reply shaped like undici's `Dispatcher.ResponseData` (the subset clients read). */
export interface SimPoolResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string>; json(): Promise<unknown> };
}

/** Something with undici `Pool.request`'s shape. */
export interface SimRequestPool {
  request(options: SimPoolRequest): Promise<SimPoolResponse>;
  close(): Promise<void>;
}

/**
 * An in-process stand-in for an undici `Pool` to one node's REST API: no sockets, the reply is
 * computed by the simulation (so it works under a `VirtualClock`). Refused and reset connections
 * reject with an error whose `code` is `ECONNREFUSED` / `ECONNRESET`, as undici's do; an aborted
 * `signal` rejects with its reason. `headersTimeout` is measured on the cluster's clock and rejects
 * with code `UND_ERR_HEADERS_TIMEOUT`.
 */
export function simRequestPool(cluster: SimClusterControl, nodeId: string): SimRequestPool {
  cluster.node(nodeId);
  return {
    async request(o) {
      const work = cluster.request(nodeId, o.method, o.path);
      work.catch(() => undefined); // a late failure after a timeout or abort is not unhandled
      const ac = new AbortController();
      const races: Promise<never>[] = [];
      if (o.signal) {
        const sig = o.signal;
        if (sig.aborted) throw sig.reason;
        races.push(
          new Promise<never>((_, reject) => {
            const off = onAbort(sig, reject);
            ac.signal.addEventListener('abort', off, { once: true });
          }),
        );
      }
      if (o.headersTimeout) {
        races.push(
          cluster.clock.sleep(o.headersTimeout, ac.signal).then(
            () => {
              throw Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
            },
            () => new Promise<never>(() => {}),
          ),
        );
      }
      try {
        const r = await Promise.race([work, ...races]);
        return {
          statusCode: r.status,
          headers: { 'content-type': r.contentType },
          body: { text: async () => r.body, json: async () => JSON.parse(r.body) as unknown },
        };
      } finally {
        ac.abort();
      }
    },
    async close() {},
  };
}
