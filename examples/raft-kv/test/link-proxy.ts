import net from 'node:net';

interface Pair {
  readonly client: net.Socket;
  upstream: net.Socket | null;
}

/** How a cut link behaves: packets silently lost, or connections refused and reset. */
export type CutMode = 'blackhole' | 'reject';

/**
 * A loopback TCP proxy for one directed link between two members (127.0.0.1 only).
 * `cut('blackhole')`: nothing passes in either direction of its connections: existing
 * connections stall (sockets paused, so TCP back-pressure builds up as on a real
 * partition) and new ones are accepted but held without an upstream; after `heal()`
 * everything flows again, old buffered bytes first. `cut('reject')`: existing connections
 * are reset and new ones closed at once (a firewall that rejects): senders see the peer
 * down, drop messages and reconnect with their backoff.
 */
export class LinkProxy {
  private readonly pairs = new Set<Pair>();
  private cutNow = false;
  private mode: CutMode = 'blackhole';

  private constructor(
    private readonly server: net.Server,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free port of 127.0.0.1 and forwards to `targetPort` there. */
  static async create(targetPort: number): Promise<LinkProxy> {
    const server = net.createServer();
    const proxy = new LinkProxy(server, targetPort);
    server.on('connection', (s) => proxy.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** Stops all traffic on this link. */
  cut(mode: CutMode = 'blackhole'): void {
    this.cutNow = true;
    this.mode = mode;
    for (const p of this.pairs) {
      if (mode === 'reject') {
        p.client.resetAndDestroy();
        p.upstream?.destroy();
        continue;
      }
      p.client.pause();
      p.upstream?.pause();
    }
  }

  /** Lets traffic flow again. */
  heal(): void {
    this.cutNow = false;
    for (const p of this.pairs) {
      if (!p.upstream) this.connectUpstream(p);
      else {
        p.client.resume();
        p.upstream.resume();
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.cutNow && this.mode === 'reject') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    this.pairs.add(pair);
    client.setNoDelay(true);
    client.pause();
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    if (!this.cutNow) this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const up = net.connect(this.targetPort, '127.0.0.1');
    up.setNoDelay(true);
    pair.upstream = up;
    const drop = (): void => {
      this.pairs.delete(pair);
      pair.client.destroy();
      up.destroy();
    };
    up.on('error', drop);
    up.on('close', drop);
    pair.client.pipe(up);
    up.pipe(pair.client);
    if (this.cutNow) {
      pair.client.pause();
      up.pause();
    } else pair.client.resume();
  }
}
