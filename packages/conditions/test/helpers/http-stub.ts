import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request an {@link HttpStub} received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the stub answers; `delayMs` holds the reply back, `destroy` drops the connection. */
export interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  destroy?: boolean;
}

/** A local HTTP server posing as Prometheus: answers with whatever `reply` returns, records requests. */
export class HttpStub {
  readonly requests: RecordedRequest[] = [];
  reply: (req: RecordedRequest) => StubReply = () => ({ status: 200, body: '{}' });
  #server!: Server;

  static async start(reply?: (req: RecordedRequest) => StubReply): Promise<HttpStub> {
    const stub = new HttpStub();
    if (reply) stub.reply = reply;
    stub.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        stub.requests.push(rec);
        const r = stub.reply(rec);
        const send = () => {
          if (r.destroy) {
            req.socket.destroy();
            return;
          }
          res.writeHead(r.status ?? 200, r.headers ?? { 'content-type': 'application/json' }).end(r.body ?? '');
        };
        if (r.delayMs) setTimeout(send, r.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => stub.#server.listen(0, '127.0.0.1', () => resolve()));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
