import net from 'node:net';
import type { Message, NodeId } from '../core/messages.js';
import type { Transport } from './transport.js';
import { decodeMessage, encodeMessage } from './message-codec.js';

/** A host and port. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link TcpTransport}. */
export interface TcpTransportOptions {
  readonly id: NodeId;
  /** Where to accept connections from peers. */
  readonly listen: PeerAddress;
  /** Addresses of the other members (more can be added with `setPeer`). */
  readonly peers: Readonly<Record<NodeId, PeerAddress>>;
  /** Bytes queued per peer beyond which new messages are dropped. @default 16777216 */
  readonly maxBufferedBytes?: number;
  /** Largest accepted frame; a bigger one closes the connection. @default 268435456 */
  readonly maxFrameBytes?: number;
  /** First reconnect delay; doubles up to `maxBackoffMs`. @default 50 */
  readonly minBackoffMs?: number;
  /**
   * Largest reconnect delay. Kept short: after a partition heals, a member reaches its
   * peers again within this time (2000 made recovery take up to ~1.8 s). @default 200
   */
  readonly maxBackoffMs?: number;
}

interface Peer {
  addr: PeerAddress;
  socket: net.Socket | null;
  connected: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | null;
  corked: boolean;
}

/**
 * Raft messages over TCP (node:net): one outgoing connection per peer, frames of a
 * 4-byte big-endian length followed by a JSON body, reconnects with exponential backoff,
 * and bounded send buffers (messages are dropped, never blocked, when a peer is slow or
 * down; Raft retransmits).
 */
export class TcpTransport implements Transport {
  private readonly server: net.Server;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly inbound = new Set<net.Socket>();
  private onMessage: ((m: Message) => void) | null = null;
  private closed = false;
  private readonly maxBuffered: number;
  private readonly maxFrame: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  /** Messages dropped because a peer was down or its buffer full. */
  dropped = 0;

  private constructor(private readonly options: TcpTransportOptions) {
    this.maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.maxFrame = options.maxFrameBytes ?? 256 * 1024 * 1024;
    this.minBackoff = options.minBackoffMs ?? 50;
    this.maxBackoff = options.maxBackoffMs ?? 200;
    this.server = net.createServer((s) => this.accept(s));
    for (const [id, addr] of Object.entries(options.peers)) this.setPeer(id, addr);
  }

  /** Creates the transport and waits until it listens. */
  static async create(options: TcpTransportOptions): Promise<TcpTransport> {
    const t = new TcpTransport(options);
    await new Promise<void>((resolve, reject) => {
      t.server.once('error', reject);
      t.server.listen(options.listen.port, options.listen.host, () => {
        t.server.off('error', reject);
        resolve();
      });
    });
    return t;
  }

  /** The port actually listened on (useful with `listen.port: 0`). */
  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.options.listen.port;
  }

  /** Adds or updates a peer address. */
  setPeer(id: NodeId, addr: PeerAddress): void {
    if (id === this.options.id) return;
    const p = this.peers.get(id);
    if (p) {
      p.addr = addr;
      return;
    }
    this.peers.set(id, { addr, socket: null, connected: false, backoffMs: this.minBackoff, timer: null, corked: false });
  }

  start(onMessage: (message: Message) => void): void {
    this.onMessage = onMessage;
    for (const id of this.peers.keys()) this.connect(id);
  }

  send(message: Message): void {
    const p = this.peers.get(message.to);
    if (!p || !p.connected || !p.socket) {
      this.dropped++;
      return;
    }
    if (p.socket.writableLength > this.maxBuffered) {
      this.dropped++;
      return;
    }
    const body = encodeMessage(message);
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    const s = p.socket;
    if (!p.corked) {
      // Coalesce the messages of one Ready into as few writes as possible.
      p.corked = true;
      s.cork();
      process.nextTick(() => {
        p.corked = false;
        s.uncork();
      });
    }
    s.write(header);
    s.write(body);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peers.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.socket?.destroy();
    }
    for (const s of this.inbound) s.destroy();
    this.server.close();
  }

  private connect(id: NodeId): void {
    const p = this.peers.get(id);
    if (!p || this.closed || p.socket) return;
    const s = net.connect(p.addr.port, p.addr.host);
    s.setNoDelay(true);
    p.socket = s;
    s.on('connect', () => {
      p.connected = true;
      p.backoffMs = this.minBackoff;
    });
    s.on('data', () => {}); // peers never reply on this connection
    const retry = (): void => {
      if (p.socket !== s) return;
      p.socket = null;
      p.connected = false;
      if (this.closed) return;
      p.timer = setTimeout(() => {
        p.timer = null;
        this.connect(id);
      }, p.backoffMs);
      p.backoffMs = Math.min(this.maxBackoff, p.backoffMs * 2);
    };
    s.on('error', () => s.destroy());
    s.on('close', retry);
  }

  private accept(s: net.Socket): void {
    if (this.closed) {
      s.destroy();
      return;
    }
    s.setNoDelay(true);
    this.inbound.add(s);
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (len > this.maxFrame) {
          s.destroy();
          return;
        }
        if (buf.length < 4 + len) break;
        const frame = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        let m: Message;
        try {
          m = decodeMessage(frame);
        } catch {
          s.destroy();
          return;
        }
        this.onMessage?.(m);
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.inbound.delete(s));
  }
}
